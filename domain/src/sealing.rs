//! Envelope for private key material at rest: AES-256-GCM under the master key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    #[error("sealed data could not be opened with this master key")]
    Open,
}

/// The deployment's master key. Never printed.
pub struct MasterKey {
    key: RandomizedNonceKey,
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, SealError> {
        let key =
            RandomizedNonceKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadMasterKey)?;
        Ok(Self { key, bytes })
    }

    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let raw = STANDARD
            .decode(text.trim())
            .map_err(|_| SealError::BadMasterKey)?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| SealError::BadMasterKey)?;
        Self::from_bytes(bytes)
    }

    pub fn generate_base64() -> String {
        let mut bytes = [0u8; 32];
        #[allow(clippy::expect_used)]
        aws_lc_rs::rand::fill(&mut bytes).expect("system random generator failed");
        STANDARD.encode(bytes)
    }

    /// Derives a sub-key for another purpose (the client-secret pepper), so one secret
    /// configures the deployment.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.bytes);
        aws_lc_rs::hmac::sign(&k, purpose.as_bytes())
            .as_ref()
            .to_vec()
    }

    /// nonce ‖ ciphertext ‖ tag. `context` binds the ciphertext to its row (e.g. the key id).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let mut buf = plaintext.to_vec();
        #[allow(clippy::expect_used)]
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut buf)
            .expect("AES-GCM sealing of a short buffer cannot fail");
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&buf);
        out
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut buf = ct.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let k = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        let sealed = k.seal(b"private", "kid-1");
        assert_eq!(k.open(&sealed, "kid-1").unwrap(), b"private");
        assert_eq!(k.open(&sealed, "kid-2"), Err(SealError::Open));
        let other = MasterKey::from_base64(&MasterKey::generate_base64()).unwrap();
        assert_eq!(other.open(&sealed, "kid-1"), Err(SealError::Open));
    }

    #[test]
    fn rejects_short_master_keys() {
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }
}
