use clap::Parser;

fn main() {
    let cli = vpclint::cli::Cli::parse();
    std::process::exit(vpclint::cli::run(cli));
}
