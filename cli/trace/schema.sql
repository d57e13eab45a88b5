-- memtrack trace schema.  The one definition of the trace file; docs/trace-format.md
-- explains each table.  Bump schema_version (meta) on any incompatible change.
-- The writer stores it without its comments (so no string here may hold two dashes).
--
-- Invariants:
--  * Every stack_id, frame id, object_id, outer_id and process_id refers to an
--    existing row.
--  * stacks.frames is a JSON array of frames.id, innermost first, with inlined
--    frames expanded (one return address can yield several frames).
--  * A stack is a chain of stacks rows: the row a stack_id names, then the row
--    its outer_id names, and so on until outer_id is NULL.  The stack's frames
--    are the chain's arrays joined, where each row's outer_skip leaves out
--    that many frames at the start of the next row's array.  Stacks share
--    their outer frames this way: a row holds only the frames no earlier
--    stack of its process had.
--  * Each (path, build_id) has one objects row in the whole trace.
--  * blocks holds only blocks still alive when the process ended (the leak
--    candidates); freed blocks live on only as aggregates in sites.
PRAGMA page_size = 1024; -- small pages keep small traces small; set before anything is written
PRAGMA application_id = 1297372492; -- 'MTRL'
PRAGMA user_version = 4;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;

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
    backtraces_by_libunwind INTEGER,    -- how many of them libunwind walked; both NULL like send_wait_*
    untraced       TEXT                 -- why memtrack did not see its allocations; NULL when it did
);

-- The object files (executable, shared libraries, vDSO) of all processes.
CREATE TABLE objects (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,
    build_id    TEXT                    -- hex, NULL when the object has none
);

CREATE TABLE modules (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    object_id   INTEGER NOT NULL REFERENCES objects(id),
    base        INTEGER NOT NULL,       -- load bias
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL
);

CREATE TABLE frames (
    id          INTEGER PRIMARY KEY,
    address     INTEGER NOT NULL,       -- return address as recorded
    object_id   INTEGER REFERENCES objects(id), -- NULL when no module holds the address
    function    TEXT,                   -- demangled; NULL when unknown
    file        TEXT,
    line        INTEGER,
    inlined     INTEGER NOT NULL DEFAULT 0 -- 1 when this frame was inlined into the next
);

CREATE TABLE stacks (
    id          INTEGER PRIMARY KEY,
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    truncated   INTEGER NOT NULL DEFAULT 0,
    frames      TEXT NOT NULL,          -- JSON array of frames.id: this row's part, innermost first
    outer_id    INTEGER REFERENCES stacks(id), -- the row holding the outer frames; NULL when none
    outer_skip  INTEGER                 -- how many of outer_id's frames (its innermost) are not this stack's
);

-- One row per allocation stack: the compact default trace.  Stored in
-- process order (WITHOUT ROWID), so no index is needed to find a process's sites.
CREATE TABLE sites (
    process_id   INTEGER NOT NULL REFERENCES processes(id),
    stack_id     INTEGER NOT NULL REFERENCES stacks(id),
    allocations  INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    temporary    INTEGER NOT NULL,
    peak_bytes   INTEGER NOT NULL,      -- this site's live bytes at the process's peak
    -- frees by lifetime, one column per bucket
    freed_before_1us   INTEGER NOT NULL DEFAULT 0,
    freed_before_10us  INTEGER NOT NULL DEFAULT 0,
    freed_before_100us INTEGER NOT NULL DEFAULT 0,
    freed_before_1ms   INTEGER NOT NULL DEFAULT 0,
    freed_before_10ms  INTEGER NOT NULL DEFAULT 0,
    freed_before_100ms INTEGER NOT NULL DEFAULT 0,
    freed_before_1s    INTEGER NOT NULL DEFAULT 0,
    freed_before_10s   INTEGER NOT NULL DEFAULT 0,
    freed_later        INTEGER NOT NULL DEFAULT 0, -- after 10 s or more
    PRIMARY KEY (process_id, stack_id)
) WITHOUT ROWID;

-- Stored in process and stack order (WITHOUT ROWID), so no index is needed
-- to find a process's blocks, or those of one of its stacks.  The words of
-- function and kind are computed from the numbers stored (a VIRTUAL column
-- takes no room): in a compiler's trace they were 3.2 of 11 MB.
CREATE TABLE blocks (
    id          INTEGER NOT NULL,       -- 1, 2, ... in the whole trace
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    stack_id    INTEGER NOT NULL REFERENCES stacks(id),
    address     INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    function_code INTEGER NOT NULL,     -- allocating function, by number: function names it
    function    TEXT GENERATED ALWAYS AS (CASE function_code
        WHEN 0 THEN 'unknown' WHEN 1 THEN 'malloc' WHEN 2 THEN 'calloc' WHEN 3 THEN 'realloc'
        WHEN 4 THEN 'reallocarray' WHEN 5 THEN 'posix_memalign' WHEN 6 THEN 'aligned_alloc'
        WHEN 7 THEN 'memalign' WHEN 8 THEN 'valloc' WHEN 9 THEN 'pvalloc' WHEN 10 THEN 'operator new'
        WHEN 11 THEN 'operator new (nothrow)' WHEN 12 THEN 'operator new (aligned)'
        WHEN 13 THEN 'operator new (aligned, nothrow)' WHEN 14 THEN 'operator new[]'
        WHEN 15 THEN 'operator new[] (nothrow)' WHEN 16 THEN 'operator new[] (aligned)'
        WHEN 17 THEN 'operator new[] (aligned, nothrow)' WHEN 18 THEN 'free' WHEN 19 THEN 'operator delete'
        WHEN 20 THEN 'operator delete (sized)' WHEN 21 THEN 'operator delete (aligned)'
        WHEN 22 THEN 'operator delete (sized, aligned)' WHEN 23 THEN 'operator delete (nothrow)'
        WHEN 24 THEN 'operator delete (aligned, nothrow)' WHEN 25 THEN 'operator delete[]'
        WHEN 26 THEN 'operator delete[] (sized)' WHEN 27 THEN 'operator delete[] (aligned)'
        WHEN 28 THEN 'operator delete[] (sized, aligned)' WHEN 29 THEN 'operator delete[] (nothrow)'
        WHEN 30 THEN 'operator delete[] (aligned, nothrow)' END) VIRTUAL,
    time_ns     INTEGER,
    kind_code   INTEGER NOT NULL DEFAULT 0, -- by number: kind names it
    kind        TEXT GENERATED ALWAYS AS (CASE kind_code
        WHEN 0 THEN 'unclassified' WHEN 1 THEN 'definite' WHEN 2 THEN 'indirect' WHEN 3 THEN 'possible'
        WHEN 4 THEN 'reachable' END) VIRTUAL, -- definite|indirect|possible|reachable|unclassified
    heuristic   TEXT,                   -- reachable through an interior pointer: stdstring|length64|newarray|multipleinheritance
    owner_address INTEGER,              -- indirect: address of the definite block leading its clique (memcheck's "N (x direct, y indirect) bytes")
    PRIMARY KEY (process_id, stack_id, id)
) WITHOUT ROWID;

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
    time_ns          INTEGER,
    data_symbol      TEXT,              -- invalid_free of no block: the variable whose memory it is, as memcheck names it
    data_symbol_offset INTEGER          -- bytes from that variable's start
);

-- Heap over time, down-sampled: at most one row per process per sampling
-- interval (10 ms), holding the largest live heap seen in that interval.
-- Stored in process and time order (WITHOUT ROWID), so no index is needed.
CREATE TABLE timeline (
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    time_ns     INTEGER NOT NULL,       -- CLOCK_MONOTONIC of the traced process
    heap_bytes  INTEGER NOT NULL,       -- live heap bytes
    rss_bytes   INTEGER,                -- resident set size when known, else NULL
    PRIMARY KEY (process_id, time_ns, heap_bytes)
) WITHOUT ROWID;

CREATE TABLE marks (
    process_id  INTEGER NOT NULL REFERENCES processes(id),
    time_ns     INTEGER NOT NULL,
    label       TEXT NOT NULL
);

CREATE INDEX errors_by_process ON errors(process_id);
