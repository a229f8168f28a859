//! The people who may sign in to this node, and how a bearer token names one: the
//! operator's `admin.token`, a local user's personal token, or a JWT of the OIDC issuer.

use super::admin_token::AdminToken;
use super::caller::{Credential, Person};
use super::oidc::{OidcVerifier, TokenRefused};
use super::users::{TokenRejected, UserError, UserStore};

/// Why a bearer token names nobody here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotSignedIn {
    /// A personal token that does not work.
    #[error(transparent)]
    PersonalToken(#[from] TokenRejected),
    /// An OIDC token that does not verify.
    #[error(transparent)]
    Oidc(#[from] TokenRefused),
    /// The user store failed (the caller is refused, not let through).
    #[error("cannot check the token: {0}")]
    Storage(String),
}

impl From<UserError> for NotSignedIn {
    fn from(error: UserError) -> Self {
        NotSignedIn::Storage(error.to_string())
    }
}

/// Everyone who may sign in; cheap to clone.
#[derive(Clone)]
pub struct People {
    admin: AdminToken,
    users: UserStore,
    oidc: Option<OidcVerifier>,
}

impl People {
    /// The operator's token, the local users and the OIDC issuer, if one is configured.
    pub fn new(admin: AdminToken, users: UserStore, oidc: Option<OidcVerifier>) -> Self {
        Self { admin, users, oidc }
    }

    /// The local users.
    pub fn users(&self) -> &UserStore {
        &self.users
    }

    /// The OIDC issuer's verifier, if one is configured.
    pub fn oidc(&self) -> Option<&OidcVerifier> {
        self.oidc.as_ref()
    }

    /// The person `token` names: `Ok(None)` when it is none of the three kinds of token (it
    /// may still be a sensor source's); an error when it is one of them but does not work.
    pub async fn person(&self, token: &str) -> Result<Option<Person>, NotSignedIn> {
        if self.admin.matches(token) {
            return Ok(Some(Person::operator()));
        }
        if UserStore::is_personal_token(token) {
            let user = self.users.authenticate(token)??;
            return Ok(Some(Person {
                name: user.name,
                credential: Credential::UserToken,
                roles: user.roles,
            }));
        }
        if let Some(oidc) = &self.oidc
            && OidcVerifier::looks_like_jwt(token)
        {
            return Ok(Some(oidc.verify(token).await?));
        }
        Ok(None)
    }
}
