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
/// `Auth.RoleAdd`.
pub const ROLE_ADD: &str = "/etcdserverpb.Auth/RoleAdd";
/// `Auth.RoleGrantPermission`.
pub const ROLE_GRANT_PERMISSION: &str = "/etcdserverpb.Auth/RoleGrantPermission";

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

/// `etcdserverpb.AuthRoleAddRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RoleAddRequest {
    /// The role.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `authpb.Permission`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Permission {
    /// 0 read, 1 write, 2 read and write.
    #[prost(int32, tag = "1")]
    pub perm_type: i32,
    /// The key, or the start of the range.
    #[prost(bytes = "vec", tag = "2")]
    pub key: Vec<u8>,
    /// The end of the range (exclusive); empty for the one key.
    #[prost(bytes = "vec", tag = "3")]
    pub range_end: Vec<u8>,
}

/// `etcdserverpb.AuthRoleGrantPermissionRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RoleGrantPermissionRequest {
    /// The role.
    #[prost(string, tag = "1")]
    pub name: String,
    /// What it may do.
    #[prost(message, optional, tag = "2")]
    pub perm: Option<Permission>,
}

/// The answer of the administration calls (only its header).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AuthAdminResponse {
    /// The header.
    #[prost(message, optional, tag = "1")]
    pub header: Option<super::ResponseHeader>,
}
