// The embedded cluster, `waitUntil` and `withPool` come from the shared test-support target;
// re-exported so that every file of this suite sees them without importing it.
@_exported import PostgresTestSupport

