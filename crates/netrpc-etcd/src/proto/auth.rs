//! etcd's `Auth` service: `Authenticate` (a token for a user and password), and the few
//! administration calls the tests use to turn authentication on.

/// `Auth.Authenticate`.
pub const AUTHENTICATE: &str = "/etcdserverpb.Auth/Authenticate";
/// `Auth.AuthEnable`.
pub const AUTH_ENABLE: &str = "/etcdserverpb.Auth/AuthEnable";
/// `Auth.UserAdd`.
pub const USER_ADD: &str = "/etcdserverpb.Auth/UserAdd";
/// `Auth.UserGrantRole`.
pub const USER_GRANT_ROLE: &str = "/etcdserverpb.Auth/UserGrantRole";

/// `etcdserverpb.AuthenticateRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AuthenticateRequest {
    /// The user.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The password.
    #[prost(string, tag = "2")]
    pub password: String,
}

/// `etcdserverpb.AuthenticateResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AuthenticateResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<super::ResponseHeader>,
    /// The token, sent as the `token` metadata of later calls.
    #[prost(string, tag = "2")]
    pub token: String,
}

/// `etcdserverpb.AuthEnableRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AuthEnableRequest {}

/// `etcdserverpb.UserAddRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserAddRequest {
    /// The user.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The password.
    #[prost(string, tag = "2")]
    pub password: String,
}

/// `etcdserverpb.UserGrantRoleRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserGrantRoleRequest {
    /// The user.
    #[prost(string, tag = "1")]
    pub user: String,
    /// The role (`root` for the administrator).
    #[prost(string, tag = "2")]
    pub role: String,
}

/// The answer of the administration calls (only its header).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AuthAdminResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<super::ResponseHeader>,
}
