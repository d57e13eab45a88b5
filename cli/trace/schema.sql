-- memtrack trace schema.  The one definition of the trace file; docs/trace-format.md
-- explains each table.  Bump schema_version (meta) on any incompatible change.
--
-- Invariants:
--  * Every stack_id, frame id and process_id refers to an existing row.
--  * stacks.frames is a JSON array of frames.id, innermost first, with inlined
--    frames expanded (one return address can yield several frames).
--  * blocks holds only blocks still alive when the process ended (the leak
--    candidates); freed blocks live on only as aggregates in sites.
PRAGMA application_id = 1297372492; -- 'MTRL'
PRAGMA user_version = 2;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE processes (
    id             INTEGER PRIMARY KEY,
    pid            INTEGER NOT NULL,
    parent_pid     INTEGER NOT NULL,
    argv           TEXT NOT NULL,       -- JSON array of strings
    executable     TEXT,
    start_ns       INTEGER,             -- CLOCK_REALTIME, ns
    end_ns         INTEGER,
    exit_code      INTEGER,             -- NULL when it did not exit normally
    exit_signal    INTEGER,             -- NULL unless killed by a signal
    end_reason     TEXT NOT NULL DEFAULT 'running', -- exit | _exit | signal | exec | running
    leak_scan      INTEGER NOT NULL DEFAULT 0, -- 1 when leaks were classified
    allocations    INTEGER NOT NULL DEFAULT 0,
    frees          INTEGER NOT NULL DEFAULT 0,
    allocated_bytes INTEGER NOT NULL DEFAULT 0,
    peak_bytes     INTEGER NOT NULL DEFAULT 0,
    peak_ns        INTEGER,
    temporary_allocations INTEGER NOT NULL DEFAULT 0,
    note           TEXT,                -- why something is missing, for people
    send_wait_max_ns   INTEGER,         -- longest time a thread waited to hand records to memtrack;
    send_wait_total_ns INTEGER,         -- all such waits; both NULL unless the process exited normally
    backtraces     INTEGER,             -- backtraces taken (allocations, bad releases, long release stacks)
    backtraces_by_libunwind INTEGER     -- how many of them libunwind walked; both NULL like send_wait_*
);

CREATE TABLE modules (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    path        TEXT NOT NULL,
    build_id    TEXT,                   -- hex, NULL when the object has none
    base        INTEGER NOT NULL,       -- load bias
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL
);

CREATE TABLE frames (
    id          INTEGER PRIMARY KEY,
    address     INTEGER NOT NULL,       -- return address as recorded
    module      TEXT,
    function    TEXT,                   -- demangled; NULL when unknown
    file        TEXT,
    line        INTEGER,
    inlined     INTEGER NOT NULL DEFAULT 0 -- 1 when this frame was inlined into the next
);

CREATE TABLE stacks (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    truncated   INTEGER NOT NULL DEFAULT 0,
    frames      TEXT NOT NULL           -- JSON array of frames.id
);

-- One row per allocation stack: the compact default trace.
CREATE TABLE sites (
    stack_id     INTEGER PRIMARY KEY REFERENCES stacks(id),
    process_id   INTEGER NOT NULL REFERENCES processes(id),
    allocations  INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    temporary    INTEGER NOT NULL,
    peak_bytes   INTEGER NOT NULL,      -- this site's live bytes at the process's peak
    lifetimes    TEXT NOT NULL          -- JSON array: frees by lifetime, buckets <1us,<10us,...,>=10s
);

CREATE TABLE blocks (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    stack_id    INTEGER NOT NULL REFERENCES stacks(id),
    address     INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    function    TEXT NOT NULL,          -- allocating function
    time_ns     INTEGER,
    kind        TEXT NOT NULL DEFAULT 'unclassified' -- definite|indirect|possible|reachable|unclassified
);

CREATE TABLE errors (
    id               INTEGER PRIMARY KEY,
    process_id       INTEGER NOT NULL REFERENCES processes(id),
    type             TEXT NOT NULL,     -- double_free|invalid_free|mismatched_free
    address          INTEGER NOT NULL,
    size             INTEGER,
    offset           INTEGER,
    alloc_function   TEXT,
    free_function    TEXT NOT NULL,
    stack_id         INTEGER REFERENCES stacks(id),
    alloc_stack_id   INTEGER REFERENCES stacks(id),
    first_free_stack_id INTEGER REFERENCES stacks(id),
    time_ns          INTEGER
);

-- Heap over time, down-sampled: at most one row per process per sampling
-- interval (10 ms), holding the largest live heap seen in that interval.
CREATE TABLE timeline (
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    time_ns     INTEGER NOT NULL,       -- CLOCK_MONOTONIC of the traced process
    heap_bytes  INTEGER NOT NULL,       -- live heap bytes
    rss_bytes   INTEGER                 -- resident set size when known, else NULL
);

CREATE TABLE marks (
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    time_ns     INTEGER NOT NULL,
    label       TEXT NOT NULL
);

CREATE INDEX blocks_by_process ON blocks(process_id, stack_id);
CREATE INDEX errors_by_process ON errors(process_id);
CREATE INDEX sites_by_process ON sites(process_id);
CREATE INDEX timeline_by_process ON timeline(process_id, time_ns);
