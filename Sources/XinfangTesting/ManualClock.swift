// The test-support library: clocks, builders and an HTTP harness shared by the test targets.
