use super::*;

#[test]
fn debug_run() {
    let mut out = String::new();
    for f in ["mahoney2024.txt", "politburo2023.txt"] {
        let t = std::fs::read_to_string(format!("/work/shared/corpus/{f}")).unwrap();
        let s = crate::corpus::Source::new("k".into(), f.into(), crate::corpus::SourceFormat::Plain, t, Default::default());
        let m = |r: ByteRange| r;
        let input = MineInput { key: "k", path: Path::new(f), text: &s.clean.text, breaks: &s.clean.breaks, to_original: &m };
        let scan = scan_source(&input);
        for c in scan.quoted.iter().chain(scan.capitalised.iter()) {
            if c.0.contains("Moscow") { out += &format!("{c:?}\n"); }
        }
    }
    panic!("{out}");
}
