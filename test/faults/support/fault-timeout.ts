// A fault scenario waits out real lock periods, restarts and recoveries; each wait inside it has its own deadline,
// this only bounds a scenario that would otherwise hang (testTimeout is not a per-project Jest option).
jest.setTimeout(240_000);
