-- Benchmark workload for the sqlite3 shell: sqlite3 :memory: < sqlite.sql
-- Creates two tables, inserts about 200k rows, builds indexes and runs
-- group-bys and a join.  The data is deterministic (no random()).
.parameter set @rows 200000
.parameter set @customers 5000

CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, region TEXT, since INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, product TEXT, quantity INTEGER,
                    price REAL, note TEXT);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @customers)
INSERT INTO customers SELECT i, 'customer-' || i, 'region-' || (i * 7919 % 23), 2000 + i % 25 FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @rows)
INSERT INTO orders
SELECT i, 1 + (i * 2654435761 % @customers), 'product-' || (i * 40503 % 997), 1 + i % 17,
       (i * 7 % 1000) / 10.0, substr('lorem ipsum dolor sit amet consectetur adipiscing elit', 1 + i % 40)
FROM n;

CREATE INDEX orders_customer ON orders(customer);
CREATE INDEX orders_product ON orders(product, quantity);
CREATE INDEX customers_region ON customers(region);

SELECT product, count(*), sum(quantity), round(avg(price), 2) FROM orders GROUP BY product
ORDER BY sum(quantity * price) DESC LIMIT 5;
SELECT c.region, count(DISTINCT c.id), sum(o.quantity * o.price) FROM orders o JOIN customers c ON c.id = o.customer
GROUP BY c.region ORDER BY c.region LIMIT 5;
SELECT customer, group_concat(DISTINCT product) FROM orders WHERE customer % 100 = 0 GROUP BY customer LIMIT 3;
SELECT note, count(*) FROM orders GROUP BY note ORDER BY count(*) DESC LIMIT 3;
UPDATE orders SET note = upper(note) WHERE quantity > 10;
DELETE FROM orders WHERE id % 3 = 0;
SELECT count(*), sum(length(note)) FROM orders;
