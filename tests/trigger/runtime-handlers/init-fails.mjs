// Test handler whose module cannot load: the runtime reports an init error.
throw new Error("init fails on purpose");
