// A software prefetch, which Swift cannot express: a hint that the cache line
// holding `address` will be read soon. It never faults and has no effect on
// results. Header-only (static inline), so it inlines into the Swift caller.
static inline void kindred_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
