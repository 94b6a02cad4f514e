//! Addresses of code packages (`GetFunctionAddress`): pre-signed and expiring, as the service's COS
//! addresses are. The key is random per emulator process and never leaves it, so an address is
//! good only for the emulator that gave it, until it expires; without one, a package cannot be read.

/// The key that signs code addresses.
pub(crate) struct CodeUrlKey([u8; 32]);

impl std::fmt::Debug for CodeUrlKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeUrlKey(** redacted **)")
    }
}

impl CodeUrlKey {
    pub fn new(key: [u8; 32]) -> CodeUrlKey {
        CodeUrlKey(key)
    }

    /// The address of package `sha256` under `base_url`, valid until `expires` (Unix seconds).
    pub fn url(&self, base_url: &str, sha256: &str, expires: i64) -> String {
        format!("{base_url}/code/{sha256}.zip?Expires={expires}&Signature={}", self.signature(sha256, expires))
    }

    /// Checks the query of a package address at `now` (Unix seconds).
    pub fn verify(&self, sha256: &str, query: &str, now: i64) -> Result<(), &'static str> {
        let (mut expires, mut signature) = (None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("Expires", value)) => expires = value.parse::<i64>().ok(),
                Some(("Signature", value)) => signature = Some(value),
                _ => {}
            }
        }
        let (Some(expires), Some(signature)) = (expires, signature) else {
            return Err("the address is not signed: get one from GetFunctionAddress");
        };
        let expected = self.signature(sha256, expires);
        if !crate::auth::constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return Err("the address's signature is not valid");
        }
        if now > expires {
            return Err("the address has expired: get a new one from GetFunctionAddress");
        }
        Ok(())
    }

    fn signature(&self, sha256: &str, expires: i64) -> String {
        scf_sdk::runtime::sign::signature(&self.0, &format!("code/{sha256}.zip\n{expires}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_signed_and_expire() {
        let key = CodeUrlKey::new([7; 32]);
        let sha = "ab".repeat(32);
        let url = key.url("http://127.0.0.1:9100", &sha, 1_000);
        let query = url.split_once('?').unwrap().1;
        assert_eq!(key.verify(&sha, query, 999), Ok(()));
        assert_eq!(key.verify(&sha, query, 1_000), Ok(()));
        assert!(key.verify(&sha, query, 1_001).unwrap_err().contains("expired"));
        assert!(key.verify(&"cd".repeat(32), query, 999).unwrap_err().contains("not valid"), "another package");
        let later = query.replace("Expires=1000", "Expires=9000");
        assert!(key.verify(&sha, &later, 999).unwrap_err().contains("not valid"), "a changed expiry");
        assert!(key.verify(&sha, "", 999).unwrap_err().contains("not signed"));
        assert!(CodeUrlKey::new([8; 32]).verify(&sha, query, 999).is_err(), "another emulator's key");
        assert!(!format!("{key:?}").contains('7'));
    }
}
