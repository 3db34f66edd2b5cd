// glibc's allocator was a sixth of a build's time in profiles (highlighting
// and templating allocate many small strings, on every core); mimalloc is
// the usual remedy.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    waymark::cli::main()
}
