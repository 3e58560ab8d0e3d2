"""The nginx configuration of the fault tests and of the reconnect-storm bench: Debian's
nginx, not daemonised, with its pid file and temp paths in a directory of its own, in
front of several `plenary serve` processes with the WebSocket location that
docs/operations.md shows for the live floor."""

from pathlib import Path


def websocket_proxy_conf(
    directory: Path,
    upstreams: list[int],
    listens: list[str],
    *,
    location: str = "/ws/",
    error_log: Path | None = None,
    workers: int = 1,
    worker_connections: int = 4096,
    rlimit_nofile: int | None = None,
    backlog: int | None = None,
) -> str:
    """nginx.conf for `nginx -p directory`: `listens` are "address:port"; each upstream a
    port on 127.0.0.1, taken out of turn for 10 s after one failed connection."""
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams
    )
    listen_options = f" backlog={backlog} reuseport" if backlog else ""
    listen_lines = "\n".join(f"    listen {address}{listen_options};" for address in listens)
    rlimit = f"worker_rlimit_nofile {rlimit_nofile};\n" if rlimit_nofile else ""
    multi_accept = " multi_accept on;" if workers > 1 else ""
    return f"""daemon off;
worker_processes {workers};
{rlimit}pid {directory}/nginx.pid;
error_log {error_log or directory / "error.log"} warn;
events {{ worker_connections {worker_connections};{multi_accept} }}
http {{
  access_log off;
  client_body_temp_path {directory}/body;
  proxy_temp_path {directory}/proxy;
  fastcgi_temp_path {directory}/fastcgi;
  uwsgi_temp_path {directory}/uwsgi;
  scgi_temp_path {directory}/scgi;
  upstream plenary {{
{servers}
  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
{listen_lines}
    location {location} {{
      proxy_pass http://plenary;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      proxy_connect_timeout 2s;
    }}
  }}
}}
"""
