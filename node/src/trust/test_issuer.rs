//! A local OpenID Connect issuer's signing side for tests (feature `test-utils`): an Ed25519
//! key derived from a seed, its JWKS, and tokens signed with it, so tests verify real
//! signatures without any network.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

/// PKCS#8 v1 framing of an Ed25519 seed (RFC 8410).
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// A test issuer: its URL, its key id and its Ed25519 key.
#[derive(Clone)]
pub struct TestIssuer {
    /// `iss` of its tokens.
    pub issuer: String,
    /// `kid` of its key.
    pub kid: String,
    seed: [u8; 32],
}

impl TestIssuer {
    /// An issuer at `issuer` whose key derives from `seed`.
    pub fn new(issuer: &str, seed: u8) -> Self {
        Self {
            issuer: issuer.to_owned(),
            kid: format!("test-key-{seed}"),
            seed: [seed; 32],
        }
    }

    fn public_key(&self) -> Vec<u8> {
        let mut seed = self.seed;
        let secret = libp2p::identity::ed25519::SecretKey::try_from_bytes(&mut seed)
            .map(libp2p::identity::ed25519::Keypair::from);
        secret
            .map(|k| k.public().to_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The JWKS document publishing the issuer's key.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
            "kid": self.kid, "x": URL_SAFE_NO_PAD.encode(self.public_key()),
        }]})
    }

    /// A token with `claims` (JSON object) signed by this issuer.
    pub fn sign(&self, claims: &Value) -> String {
        let der = [PKCS8_PREFIX.as_slice(), &self.seed].concat();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap_or_default()
    }

    /// A token for `subject` with `aud`, the `roles` claim and `exp` `valid_secs` from now
    /// (negative: already expired).
    pub fn token(&self, subject: &str, audience: &str, roles: &[&str], valid_secs: i64) -> String {
        let now = crate::trust::users::unix_now() as i64;
        self.sign(&json!({
            "iss": self.issuer, "sub": subject, "aud": audience,
            "preferred_username": subject, "roles": roles,
            "iat": now, "exp": now + valid_secs,
        }))
    }
}
