#!/usr/bin/env bash
# Regenerates testdata/acl.snap and testdata/golden/acl/ from a real Consul 1.8.7 server on
# 127.0.0.1 with ACLs enabled (default deny), loading the ACL objects through Consul's own CLI
# and saving the ACL HTTP API's responses right after `consul snapshot save`, as goldens.
# The bytes differ from the committed files (UUIDs, times, hashes); the objects and what
# `snapinspect acl audit` finds are the same (see testdata/README.md).
#
# Usage: testdata/regenerate-acl.sh [OUT_DIR]  (default: a new temp dir; never testdata/)
# Needs: curl, python3, openssl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CONSUL=${SNAPINSPECT_CONSUL:-$("$root/scripts/install-consul.sh")}
out=${1:-$(mktemp -d)}
case "$(cd "$out" 2>/dev/null && pwd || echo "$out")" in
  "$root/testdata"*) echo "regenerate-acl: refusing to write into testdata/ (copy files over by hand)" >&2; exit 2 ;;
esac
mkdir -p "$out/golden/acl/token" "$out/golden/acl/policy" "$out/golden/acl/role" \
  "$out/golden/acl/auth-method" "$out/golden/acl/binding-rule"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export CONSUL_HTTP_TOKEN=11111111-2222-3333-4444-000000000001
http=$(free_port); dns=$(free_port); lan=$(free_port); wan=$(free_port); srv=$(free_port)
cat > "$work/config.json" <<EOF
{ "datacenter": "dc1", "node_name": "fixture-acl", "data_dir": "$work/data", "server": true,
  "bootstrap_expect": 1, "bind_addr": "127.0.0.1", "client_addr": "127.0.0.1",
  "advertise_addr": "127.0.0.1", "disable_update_check": true, "log_level": "warn",
  "performance": { "raft_multiplier": 1 },
  "ports": { "http": $http, "dns": $dns, "serf_lan": $lan, "serf_wan": $wan, "server": $srv, "grpc": -1 },
  "acl": { "enabled": true, "default_policy": "deny", "tokens": { "master": "$CONSUL_HTTP_TOKEN" } } }
EOF
"$CONSUL" agent -config-file "$work/config.json" > "$work/log" 2>&1 &
pid=$!
export CONSUL_HTTP_ADDR=http://127.0.0.1:$http
for _ in $(seq 1 300); do
  curl -sf -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR/v1/acl/token/self" > /dev/null && break
  sleep 0.2
done
sleep 2

get() { curl -sf -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR$1"; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
c() { "$CONSUL" "$@" -format=json; }

echo "== policies"
c acl policy create -name kv-read -description "read all keys" -rules 'key_prefix "" { policy = "read" }' > /dev/null
c acl policy create -name web-svc -valid-datacenter dc1 -rules 'service "web" { policy = "write" }' > /dev/null
c acl policy create -name acl-admin -description "planted: acl = write" -rules 'acl = "write"' > /dev/null
c acl policy create -name ops -description "operator write, JSON syntax" -rules '{"operator": "write", "node_prefix": {"": {"policy": "read"}}}' > /dev/null
c acl policy create -name doomed -description "deleted after tokens link it" -rules 'node_prefix "" { policy = "read" }' > /dev/null
old=$(c acl policy create -name old-name -rules 'query_prefix "" { policy = "read" }' | id_of ID)

echo "== roles"
c acl role create -name web-role -description "web service" -policy-name web-svc -service-identity web > /dev/null
c acl role create -name node-role -policy-name kv-read -policy-name doomed -node-identity fixture-acl:dc1 > /dev/null
c acl role create -name admin-role -description "management through a role" -policy-name global-management > /dev/null
c acl role create -name doomed-role -policy-name kv-read > /dev/null

echo "== tokens"
tok() { # ACCESSOR_SUFFIX ARGS...
  local n=$1; shift
  c acl token create -accessor "aaaaaaaa-0000-4000-8000-0000000000$n" -secret "5ec7e700-0000-4000-8000-0000000000$n" "$@" > /dev/null
}
tok 01 -description "web token" -policy-name web-svc -role-name web-role
tok 02 -description "local short-lived" -local -expires-ttl=23h -policy-name kv-read
tok 03 -description "node identity" -node-identity fixture-acl:dc1
tok 04 -description "service identities" -service-identity api:dc1 -service-identity db
tok 05 -description "planted: dangling links" -policy-name kv-read -policy-name doomed -role-name doomed-role
tok 06 -description "acl admin" -expires-ttl=1h -policy-name acl-admin
tok 07 -description "admin through a role" -role-name admin-role
tok 08 -description "linked before a rename" -policy-id "$old" -role-name node-role
tok 09 -description "ops" -policy-name ops -policy-name kv-read
c acl policy update -id "$old" -name dns-read -description "renamed from old-name" > /dev/null
"$CONSUL" acl policy delete -name doomed > /dev/null
"$CONSUL" acl role delete -name doomed-role > /dev/null

echo "== auth methods, a binding rule, a login"
openssl genrsa -out "$work/jwt.key" 2048 2>/dev/null
openssl rsa -in "$work/jwt.key" -pubout -out "$work/jwt.pub" 2>/dev/null
python3 - "$work/jwt.pub" > "$work/jwt-config.json" <<'PY'
import json, sys
print(json.dumps({"JWTValidationPubKeys": [open(sys.argv[1]).read()], "BoundAudiences": ["fixture"],
                  "ClaimMappings": {"sub": "name"}}))
PY
c acl auth-method create -type jwt -name jwt-login -display-name "JWT login" -description "with a binding rule" \
  -max-token-ttl 2h -token-locality local -config @"$work/jwt-config.json" > /dev/null
# Consul 1.8.7 writes only the first auth method (by name) into a snapshot (hashicorp/consul#9784):
# jwt-idle sorts first, so the snapshot holds it and not jwt-login, whose binding rule it keeps.
c acl auth-method create -type jwt -name jwt-idle -display-name "Idle JWT" -description "planted: no binding rules" \
  -max-token-ttl 30m -token-locality global -config @"$work/jwt-config.json" > /dev/null
c acl binding-rule create -method jwt-login -description "service per subject" -bind-type service -bind-name '${value.name}' > /dev/null
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
header=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
now=$(date +%s)
payload=$(printf '{"sub":"billing","aud":"fixture","iat":%d,"exp":%d}' "$now" $((now + 600)) | b64url)
sig=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$work/jwt.key" | b64url)
printf '%s.%s.%s' "$header" "$payload" "$sig" > "$work/jwt"
"$CONSUL" login -method jwt-login -bearer-token-file "$work/jwt" -token-sink-file "$work/login-token" > /dev/null

echo "== snapshot and the API's answers"
sleep 1
"$CONSUL" snapshot save "$out/acl.snap" > /dev/null
g=$out/golden/acl
get /v1/acl/tokens > "$g/tokens.json"
get /v1/acl/policies > "$g/policies.json"
get /v1/acl/roles > "$g/roles.json"
get /v1/acl/auth-methods > "$g/auth-methods.json"
get /v1/acl/binding-rules > "$g/binding-rules.json"
for id in $(python3 -c 'import json,sys; [print(t["AccessorID"]) for t in json.load(open(sys.argv[1]))]' "$g/tokens.json"); do
  get "/v1/acl/token/$id" > "$g/token/$id.json"
done
for id in $(python3 -c 'import json,sys; [print(p["ID"]) for p in json.load(open(sys.argv[1]))]' "$g/policies.json"); do
  get "/v1/acl/policy/$id" > "$g/policy/$id.json"
done
for id in $(python3 -c 'import json,sys; [print(p["ID"]) for p in json.load(open(sys.argv[1]))]' "$g/roles.json"); do
  get "/v1/acl/role/$id" > "$g/role/$id.json"
done
for name in $(python3 -c 'import json,sys; [print(p["Name"]) for p in json.load(open(sys.argv[1]))]' "$g/auth-methods.json"); do
  get "/v1/acl/auth-method/$name" > "$g/auth-method/$name.json"
done
for id in $(python3 -c 'import json,sys; [print(p["ID"]) for p in json.load(open(sys.argv[1]))]' "$g/binding-rules.json"); do
  get "/v1/acl/binding-rule/$id" > "$g/binding-rule/$id.json"
done
"$CONSUL" snapshot inspect "$out/acl.snap" > "$g/inspect.txt"
echo "fixtures written to $out"
