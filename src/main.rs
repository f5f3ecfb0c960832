//! The `ibid` binary: parses the command line and hands over to `cli` or `lsp`.
fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    ibid::cli::main()
}

/// glibc's malloc gives each thread that allocates under contention an arena of its own, up to
/// eight per core, and an arena keeps the memory freed into it. The analysis runs on one rayon
/// thread per core beside tokio's threads, so the default leaves a dozen arenas each holding what
/// a pass freed: 5 to 15 MB more peak memory for the language server at 100 MB than one arena
/// per core, for no measurable speed (docs/benchmarks.md, session 11). `MALLOC_ARENA_MAX` or
/// `GLIBC_TUNABLES` in the environment still decide when set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var_os("GLIBC_TUNABLES").is_some()
    {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt only sets a tunable of the allocator; it is called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
