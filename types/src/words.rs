//! Counted nouns in sentences people read: "1 key", "2 keys", never "1 key(s)".

/// `n` and the noun in the right number.
pub fn counted(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(counted(1u32, "key", "keys"), "1 key");
        assert_eq!(counted(0u32, "key", "keys"), "0 keys");
        assert_eq!(counted(2u64, "change", "changes"), "2 changes");
    }
}
