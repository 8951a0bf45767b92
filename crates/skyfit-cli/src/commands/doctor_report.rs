//! How `skyfit doctor` prints its findings (ok, note, warn, FAIL) and counts the failures; the
//! checks live in `doctor` and `doctor_checks`.

#[derive(Default)]
pub(super) struct Report {
    pub(super) failures: usize,
}

impl Report {
    pub(super) fn ok(&self, what: &str, detail: impl std::fmt::Display) {
        println!("  ok    {what}: {detail}");
    }
    pub(super) fn fail(&mut self, what: &str, detail: impl std::fmt::Display) {
        self.failures += 1;
        println!("  FAIL  {what}: {detail}");
    }
    pub(super) fn note(&self, what: &str, detail: impl std::fmt::Display) {
        println!("  note  {what}: {detail}");
    }
    /// Something to act on before it breaks a run; does not fail doctor.
    pub(super) fn warn(&self, what: &str, detail: impl std::fmt::Display) {
        println!("  warn  {what}: {detail}");
    }
}
