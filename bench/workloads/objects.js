// objects.js - bench/run's node workload: builds 200,000 small objects, indexes them in a Map, and takes
// them through a JSON round trip, as a service handling a batch of records does.
'use strict';
const count = Number(process.argv[2] || 200000);
const records = [];
for (let i = 0; i < count; i++)
    records.push({id: i, name: 'record-' + i, tags: ['a' + (i % 7), 'b' + (i % 11)], score: i * 0.5});
const byName = new Map();
for (const r of records)
    byName.set(r.name, r);
const text = JSON.stringify(records);
const back = JSON.parse(text);
let total = 0;
for (const r of back)
    total += byName.get(r.name).score;
console.log(back.length, text.length, total);
