//! Unit tests of mining: words, acronyms, quoted and capitalised candidates, cues, headings,
//! and the vote on small texts.

use super::*;

fn words_of(text: &str) -> Vec<&str> {
    words_in(text, 0..text.len())
        .into_iter()
        .map(|r| &text[r])
        .collect()
}

fn acronyms_in(text: &str) -> Vec<(String, String)> {
    let words = words_in(text, 0..text.len());
    let mut found = Vec::new();
    scan_acronyms(text, &(0..text.len()), &words, 0, &mut found);
    found.into_iter().map(|(a, l, _)| (a, l)).collect()
}

fn quoted_in(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    scan_quoted(text, &(0..text.len()), &mut found);
    found
}

fn capitalised_in(text: &str) -> (Vec<String>, Vec<String>) {
    let words = words_in(text, 0..text.len());
    let (mut found, mut names) = (PhraseCounts::default(), Vec::new());
    scan_capitalised(text, &words, &mut found, &mut names);
    let phrases = found.into_counted().into_iter().map(|(p, _)| p).collect();
    (phrases, names)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn words_keep_inner_hyphens_and_apostrophes() {
    assert_eq!(
        words_of("Tuva-Selin’s R&D (and more) -- ok"),
        ["Tuva-Selin’s", "R&D", "and", "more", "ok"]
    );
}

#[test]
fn acronym_after_its_long_form() {
    assert_eq!(
        acronyms_in("Delegates of the Lower Delta Water Council (LDWC) met."),
        pairs(&[("LDWC", "Lower Delta Water Council")])
    );
    // Function words inside the name, and `and` standing for `&`.
    assert_eq!(
        acronyms_in(
            "It joined the Office of Fisheries and Ports (OFP) and the Rivers & Lakes Board (R&LB)."
        ),
        pairs(&[
            ("OFP", "Office of Fisheries and Ports"),
            ("R&LB", "Rivers & Lakes Board")
        ])
    );
    // Hyphenated words give one letter per part.
    assert_eq!(
        acronyms_in("The Tuva-Selin Accord (TSA) holds."),
        pairs(&[("TSA", "Tuva-Selin Accord")])
    );
}

#[test]
fn acronym_before_its_long_form() {
    assert_eq!(
        acronyms_in("Officials of the LDWC (Lower Delta Water Council) meet twice a year."),
        pairs(&[("LDWC", "Lower Delta Water Council")])
    );
}

#[test]
fn brackets_that_do_not_spell_the_acronym_are_ignored() {
    assert!(acronyms_in("Output grew (GDP) in the valley.").is_empty());
    assert!(acronyms_in("The council met (see above).").is_empty());
    assert!(acronyms_in("The LDWC (founded 1998) met.").is_empty());
}

#[test]
fn quoted_phrases_with_their_cues() {
    assert_eq!(
        quoted_in("The so-called “delta compact” binds them, and “dry season rules” are new."),
        [
            ("delta compact".to_string(), true),
            ("dry season rules".to_string(), true)
        ]
    );
    // Trailing punctuation inside the quotes goes; a leading article too.
    assert_eq!(
        quoted_in("They signed \"the river pledge,\" quietly."),
        [("river pledge".to_string(), false)]
    );
    // One quoted word counts only after a naming cue.
    assert_eq!(
        quoted_in("A “fair” deal, which they termed “sharing”."),
        [("sharing".to_string(), true)]
    );
}

#[test]
fn single_quotes_at_word_edges_quote_and_apostrophes_do_not() {
    assert_eq!(
        quoted_in("The delta’s farmers call it the ‘river pledge’ today."),
        [("river pledge".to_string(), false)]
    );
}

#[test]
fn capitalised_runs_without_leading_words_titles_or_months() {
    let (found, names) = capitalised_in(
        "However Amber River farmers met Minister Hana Ruiz in March at Port Verin.",
    );
    assert_eq!(found, ["Amber River", "Port Verin"]);
    assert_eq!(names, ["Hana Ruiz"]);
    let (found, _) = capitalised_in("The Delta Compact and the Amber River Board were both new.");
    assert_eq!(found, ["Delta Compact", "Amber River Board"]);
}

#[test]
fn speakers_are_names_not_terms() {
    let (found, names) = capitalised_in("Hana Ruiz said the Amber River fell, said Tomas Brandt.");
    assert_eq!(found, ["Amber River"]);
    assert_eq!(names, ["Hana Ruiz", "Tomas Brandt"]);
}

#[test]
fn cues_after_and_before_a_term() {
    let at_marker = |text: &str| (text.replace('|', ""), text.find('|').unwrap());
    let after = |text: &str| {
        let (text, at) = at_marker(text);
        cue_after(&text, at)
    };
    assert_eq!(after("The compact| refers to the pledge."), 3.0);
    assert_eq!(after("The compact| (TDC) is a pledge."), 2.0);
    assert_eq!(after("The compact|: a pledge."), 2.0);
    assert_eq!(after("The compact|, which is signed."), 1.0);
    assert_eq!(after("The compact| failed."), 0.0);
    let before = |text: &str| {
        let (text, at) = at_marker(text);
        cue_before(&text, at)
    };
    assert_eq!(before("a pledge known as “|compact”"), 2.5);
    assert_eq!(before("a pledge signed as |compact"), 0.0);
}

#[test]
fn headings_are_title_case_or_short_without_a_full_stop() {
    let heading = |text: &str| is_heading(text, &(0..text.len()), &words_in(text, 0..text.len()));
    assert!(heading("What the Delta Compact Means for Farmers"));
    assert!(heading("Background"));
    assert!(!heading("What the Delta Compact Means for Farmers."));
    assert!(!heading(
        "farmers along the river depend on the pledge and its rules"
    ));
}

fn mined_terms(text: &str) -> Vec<String> {
    let identity = |range: ByteRange| range;
    let input = MineInput {
        key: "k",
        path: Path::new("/ws/k.txt"),
        text,
        breaks: &[],
        lines: &[],
        authors: &[],
        to_original: &identity,
        release: &|| (),
    };
    mine_inputs(&[input]).into_iter().map(|t| t.term).collect()
}

#[test]
fn each_pass_of_mining_releases_each_source_s_pages_when_done() {
    let identity = |range: ByteRange| range;
    let released = std::sync::atomic::AtomicUsize::new(0);
    let release = || {
        released.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let input = |key| MineInput {
        key,
        path: Path::new("/ws/k.txt"),
        text: "The Basin Compact (BC) binds them. The BC holds.",
        breaks: &[],
        lines: &[],
        authors: &[],
        to_original: &identity,
        release: &release,
    };
    let terms = mine_inputs(&[input("a"), input("b")]);
    assert!(!terms.is_empty());
    // Three passes (candidates, uses, excerpts) over two sources.
    assert_eq!(released.into_inner(), 6);
}

#[test]
fn the_tail_of_longer_names_is_no_term() {
    assert_eq!(
        mined_terms(
            "The Tuva School of River Studies trains pilots. The Delta Centre for River Studies \
             does too. Graduates of the Tuva School of River Studies fly."
        ),
        ["Tuva School of River Studies"]
    );
}

#[test]
fn capitalised_phrases_need_two_uses_and_mostly_capitals() {
    // Used once; and used twice but mostly in lowercase.
    assert!(
        mined_terms(
            "The Amber River rose. Then the Shared Plan, the shared plan and the shared plan."
        )
        .is_empty()
    );
    assert_eq!(
        mined_terms("The Amber River rose. They crossed the Amber River."),
        ["Amber River"]
    );
}

#[test]
fn authors_are_no_terms() {
    let identity = |range: ByteRange| range;
    let text = "Hana Ruiz studies rivers. Hana Ruiz is a hydrologist.";
    let authors = ["Ruiz, Hana".to_string()];
    let input = MineInput {
        key: "k",
        path: Path::new("/ws/k.txt"),
        text,
        breaks: &[],
        lines: &[],
        authors: &authors,
        to_original: &identity,
        release: &|| (),
    };
    assert!(mine_inputs(&[input]).is_empty());
    assert_eq!(mined_terms(text), ["Hana Ruiz"]);
}

#[test]
fn title_lines_are_all_capitals_but_function_words() {
    let title = |text: &str| is_title_line(text, &(0..text.len()));
    assert!(title("River Notes From the Delta"));
    assert!(title("Now Reading"));
    assert!(title("Spring 2021"));
    assert!(!title(
        "The Lower Delta Water Council (LDWC) was founded in"
    ));
    assert!(!title("The Lower Delta Water Council of"));
    assert!(!title("Rivers, Lakes,"));
}

#[test]
fn a_source_s_capitalised_phrases_are_kept_once_each_with_their_uses() {
    let (mut found, mut names) = (PhraseCounts::default(), Vec::new());
    for sentence in [
        "The Harbour Authority met on Monday.",
        "By noon the Harbour Authority had met again.",
        "The Pilot Station stayed open.",
        "The HARBOUR Authority closed the Harbour Authority office.",
    ] {
        let words = words_in(sentence, 0..sentence.len());
        scan_capitalised(sentence, &words, &mut found, &mut names);
    }
    let counted = found.into_counted();
    let counted: Vec<(&str, usize)> = counted.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    assert_eq!(
        counted,
        [
            ("Harbour Authority", 3),
            ("Pilot Station", 1),
            ("HARBOUR Authority", 1)
        ]
    );
}

#[test]
fn a_source_s_names_of_people_are_kept_once_each() {
    let identity = |range: ByteRange| range;
    let input = MineInput {
        key: "k",
        path: Path::new("/ws/k.txt"),
        text: "Mara Okafor said the port was full. Mara Okafor said it was not. \
               Mara Okafor said nothing more.",
        breaks: &[],
        lines: &[],
        authors: &[],
        to_original: &identity,
        release: &|| (),
    };
    let phrases = std::sync::Mutex::new(PhraseTable::default());
    let scan = scan_source(&input, &phrases);
    let table = phrases.into_inner().expect("the phrase table");
    let names: Vec<&str> = scan.names.iter().map(|&id| table.phrase(id)).collect();
    assert_eq!(names, ["Mara Okafor"]);
    // Each spelling is stored once, however many sources or uses name it.
    assert_eq!(table.phrases.len(), 1);
    let again = std::sync::Mutex::new(table);
    let second = scan_source(&input, &again);
    assert_eq!(second.names, scan.names);
    assert_eq!(
        again.into_inner().expect("the phrase table").phrases.len(),
        1
    );
}
