//! `cfg(network_exporter)`: set when a network exporter (OTLP over gRPC or HTTP, or Azure
//! Monitor) is compiled in, the condition of the export runtime thread and the delivery
//! report, so that the code says it once instead of listing the three features each time.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(network_exporter)");
    let network = ["OTLP_GRPC", "OTLP_HTTP", "AZURE_MONITOR"]
        .iter()
        .any(|feature| std::env::var_os(format!("CARGO_FEATURE_{feature}")).is_some());
    if network {
        println!("cargo::rustc-cfg=network_exporter");
    }
}
