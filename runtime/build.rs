//! `cfg(network_exporter)`: set when a network exporter (OTLP over gRPC or HTTP, or Azure
//! Monitor) is compiled in; `cfg(export_runtime)`: set when one is, or the upload hook
//! (feature `upload`), the condition of the export runtime thread and the delivery report.
//! The code says each once instead of listing the features each time.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(network_exporter)");
    println!("cargo::rustc-check-cfg=cfg(export_runtime)");
    let enabled = |features: &[&str]| {
        features
            .iter()
            .any(|feature| std::env::var_os(format!("CARGO_FEATURE_{feature}")).is_some())
    };
    let network = enabled(&["OTLP_GRPC", "OTLP_HTTP", "AZURE_MONITOR"]);
    if network {
        println!("cargo::rustc-cfg=network_exporter");
    }
    if network || enabled(&["UPLOAD"]) {
        println!("cargo::rustc-cfg=export_runtime");
    }
}
