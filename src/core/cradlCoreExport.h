#ifndef cradlCoreExport_h
#define cradlCoreExport_h

// The torch core is compiled into libCradl (and on its own in the core-only
// build); its entry points stay visible even where the module hides symbols.
#if defined(_WIN32)
#  define CRADL_CORE_EXPORT
#else
#  define CRADL_CORE_EXPORT __attribute__((visibility("default")))
#endif

#endif
