//! The `unix:///path` transport: Unix domain sockets, with the peer's
//! credentials (uid, gid, pid) taken from the kernel.
//!
//! Listening replaces a stale socket file (one nobody accepts on) but
//! refuses a live one, and the listener removes its socket file when
//! dropped, so a crashed server does not block its successor.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tokio::net::UnixStream;

use crate::{Address, BoxFuture, Connection, Listener, Peer, UnixCred, with_context};

/// A bound Unix socket listener; removes its socket file when dropped.
#[derive(Debug)]
pub struct UnixListener {
    inner: tokio::net::UnixListener,
    local: Address,
    path: PathBuf,
    /// Device and inode of the socket file we created, so that drop only
    /// removes our own file and not one that replaced it.
    file_id: Option<(u64, u64)>,
}

impl UnixListener {
    /// Binds a socket file at `path`, replacing a stale one.
    ///
    /// Fails with [`io::ErrorKind::AddrInUse`] if something is accepting on
    /// `path`, or if `path` exists and is not a socket.
    pub async fn bind(path: &Path) -> io::Result<Self> {
        let inner = match tokio::net::UnixListener::bind(path) {
            Ok(inner) => inner,
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => {
                remove_if_stale(path).await?;
                tokio::net::UnixListener::bind(path).map_err(|e| context(e, "listen", path))?
            }
            Err(err) => return Err(context(err, "listen", path)),
        };
        let file_id = fs::symlink_metadata(path)
            .ok()
            .map(|meta| (meta.dev(), meta.ino()));
        Ok(Self {
            inner,
            local: Address::Unix(path.to_owned()),
            path: path.to_owned(),
            file_id,
        })
    }
}

impl Listener for UnixListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<Connection>> {
        Box::pin(async move {
            let (stream, addr) = self.inner.accept().await?;
            let addr = match addr.as_pathname() {
                Some(path) => path.display().to_string(),
                None => "@".to_owned(),
            };
            Ok(connection(stream, addr))
        })
    }

    fn local_addr(&self) -> &Address {
        &self.local
    }
}

impl Drop for UnixListener {
    fn drop(&mut self) {
        let ours = match (self.file_id, fs::symlink_metadata(&self.path)) {
            (Some(id), Ok(meta)) => (meta.dev(), meta.ino()) == id,
            _ => false,
        };
        if !ours {
            return;
        }
        if let Err(err) = fs::remove_file(&self.path) {
            tracing::debug!(path = %self.path.display(), %err, "could not remove unix socket file");
        }
    }
}

/// Connects to the socket at `path`.
pub async fn dial(path: &Path) -> io::Result<Connection> {
    let stream = UnixStream::connect(path)
        .await
        .map_err(|e| context(e, "dial", path))?;
    Ok(connection(stream, path.display().to_string()))
}

/// Removes `path` if it is a socket file nobody accepts on; otherwise
/// explains why it cannot be bound.
async fn remove_if_stale(path: &Path) -> io::Result<()> {
    let in_use = |why: String| {
        io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("listen unix {}: {why}", path.display()),
        )
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        // Vanished meanwhile: nothing to remove.
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(context(err, "listen", path)),
    };
    if !meta.file_type().is_socket() {
        return Err(in_use("path exists and is not a socket".to_owned()));
    }
    match UnixStream::connect(path).await {
        Ok(_) => Err(in_use("a listener is already accepting on it".to_owned())),
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::debug!(path = %path.display(), "removing stale unix socket file");
            match fs::remove_file(path) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => {
                    Err(context(err, "listen", path))
                }
                _ => Ok(()),
            }
        }
        // Busy, permission denied...: not provably stale, so leave it.
        Err(err) => Err(in_use(format!(
            "socket exists and probing it failed: {err}"
        ))),
    }
}

fn connection(stream: UnixStream, addr: String) -> Connection {
    let unix_cred = match stream.peer_cred() {
        Ok(cred) => Some(UnixCred {
            uid: cred.uid(),
            gid: cred.gid(),
            pid: cred.pid(),
        }),
        Err(err) => {
            tracing::debug!(%err, "unix peer credentials unavailable");
            None
        }
    };
    Connection::new(
        stream,
        Peer {
            unix_cred,
            ..Peer::new("unix", addr)
        },
    )
}

fn context(err: io::Error, op: &str, path: &Path) -> io::Error {
    with_context(err, &format!("{op} unix"), path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "rpc-transport-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn sock(&self) -> PathBuf {
            self.0.join("s.sock")
        }

        /// Our uid, without libc: the owner of the directory we created.
        fn uid(&self) -> u32 {
            fs::metadata(&self.0).unwrap().uid()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn round_trip_with_credentials() {
        let dir = TempDir::new();
        let path = dir.sock();
        let mut listener = UnixListener::bind(&path).await.unwrap();
        assert_eq!(listener.local_addr(), &Address::Unix(path.clone()));

        let mut client = dial(&path).await.unwrap();
        let mut server = listener.accept().await.unwrap();

        client
            .stream_mut()
            .unwrap()
            .write_all(b"ping")
            .await
            .unwrap();
        let mut buf = [0; 4];
        server
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"ping");
        server
            .stream_mut()
            .unwrap()
            .write_all(b"pong")
            .await
            .unwrap();
        client
            .stream_mut()
            .unwrap()
            .read_exact(&mut buf)
            .await
            .unwrap();
        assert_eq!(&buf, b"pong");

        let pid = i32::try_from(std::process::id()).unwrap();
        for peer in [&client.peer, &server.peer] {
            assert_eq!(peer.transport, "unix");
            assert!(peer.socket_addr.is_none());
            let cred = peer.unix_cred.expect("peer credentials");
            assert_eq!(cred.uid, dir.uid());
            if let Some(p) = cred.pid {
                assert_eq!(p, pid);
            }
        }
        // The dialing side is an unnamed socket.
        assert_eq!(server.peer.addr, "@");
        assert_eq!(client.peer.addr, path.display().to_string());
    }

    #[tokio::test]
    async fn stale_socket_file_is_replaced() {
        let dir = TempDir::new();
        let path = dir.sock();
        // A socket file left behind by a listener that is gone.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());

        let mut listener = UnixListener::bind(&path).await.unwrap();
        let _client = dial(&path).await.unwrap();
        listener.accept().await.unwrap();
    }

    #[tokio::test]
    async fn live_socket_is_addr_in_use() {
        let dir = TempDir::new();
        let path = dir.sock();
        let mut first = UnixListener::bind(&path).await.unwrap();
        let err = UnixListener::bind(&path).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(err.to_string().contains("already accepting"), "{err}");

        // The first listener still works (the probe connection is queued on
        // it and then closed; accept sees it first).
        let _client = dial(&path).await.unwrap();
        first.accept().await.unwrap();
        first.accept().await.unwrap();
    }

    #[tokio::test]
    async fn non_socket_file_is_not_removed() {
        let dir = TempDir::new();
        let path = dir.sock();
        fs::write(&path, b"precious").unwrap();
        let err = UnixListener::bind(&path).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(fs::read(&path).unwrap(), b"precious");
    }

    #[tokio::test]
    async fn socket_file_removed_on_drop() {
        let dir = TempDir::new();
        let path = dir.sock();
        let listener = UnixListener::bind(&path).await.unwrap();
        assert!(path.exists());
        drop(listener);
        assert!(!path.exists());
        let err = dial(&path).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("dial unix"), "{err}");
    }

    #[tokio::test]
    async fn drop_leaves_a_replacement_file_alone() {
        let dir = TempDir::new();
        let path = dir.sock();
        let listener = UnixListener::bind(&path).await.unwrap();
        // Write the replacement while the socket file still exists (so it
        // cannot reuse the socket's inode), then move it over the socket.
        let other = dir.0.join("other");
        fs::write(&other, b"someone else's").unwrap();
        fs::rename(&other, &path).unwrap();
        drop(listener);
        assert!(path.exists());
    }
}
