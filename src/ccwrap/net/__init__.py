"""HTTP facts shared by doctor, setup's check, verify, captures and the proxy (stdlib only, cheap).

hosts.py     is_loopback: the one rule for "this host is this machine"; the proxy's bind address
proxies.py   which HTTP(S)_PROXY applies to a URL, from the injected environment
tls.py       the one TLS trust store: certifi or the system's, + NODE_EXTRA_CA_CERTS, SSL_CERT_FILE
failures.py  an exception's cause chain → (kind, sentence): the proxy's 502/504 and doctor's net.*
sse.py       the Messages API's server-sent events, read incrementally into one message
"""
