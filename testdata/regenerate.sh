#!/usr/bin/env bash
# Regenerates fixtures equivalent to testdata/*.snap and testdata/raw/ from a real Consul 1.8.7
# server on 127.0.0.1 (installed by scripts/install-consul.sh), loading the data through
# Consul's own CLI and HTTP API. The bytes differ from the committed fixtures (IDs, times,
# random UUIDs); the kinds and counts of records match testdata/README.md.
#
# Usage: testdata/regenerate.sh [OUT_DIR]      (default: a new temp dir; never testdata/)
# Needs: curl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CONSUL=${SNAPINSPECT_CONSUL:-$("$root/scripts/install-consul.sh")}
out=${1:-$(mktemp -d)}
case "$(cd "$out" 2>/dev/null && pwd || echo "$out")" in
  "$root/testdata"*) echo "regenerate: refusing to write into testdata/ (copy files over by hand)" >&2; exit 2 ;;
esac
mkdir -p "$out/raw" "$out/golden"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME EXTRA_JSON: a single server on free ports; sets HTTP and CONSUL_HTTP_ADDR.
start() {
  local name=$1 extra=$2 dir=$work/$1
  mkdir -p "$dir"
  local http dns lan wan srv
  http=$(free_port); dns=$(free_port); lan=$(free_port); wan=$(free_port); srv=$(free_port)
  cat > "$dir/config.json" <<EOF
{ "datacenter": "dc1", "node_name": "$name", "data_dir": "$dir/data", "server": true,
  "bootstrap_expect": 1, "bind_addr": "127.0.0.1", "client_addr": "127.0.0.1",
  "advertise_addr": "127.0.0.1", "disable_update_check": true, "log_level": "warn",
  "performance": { "raft_multiplier": 1 },
  "ports": { "http": $http, "dns": $dns, "serf_lan": $lan, "serf_wan": $wan, "server": $srv, "grpc": -1 }
  $extra }
EOF
  "$CONSUL" agent -config-file "$dir/config.json" > "$dir/log" 2>&1 &
  pids+=($!)
  export CONSUL_HTTP_ADDR=http://127.0.0.1:$http
  DATA=$dir/data
  for _ in $(seq 1 300); do
    if curl -sf "$CONSUL_HTTP_ADDR/v1/status/leader" | grep -q 127.0.0.1; then break; fi
    sleep 0.2
  done
  if [ -n "${CONSUL_HTTP_TOKEN:-}" ]; then
    for _ in $(seq 1 300); do
      curl -sf -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR/v1/acl/token/self" > /dev/null && break
      sleep 0.2
    done
  fi
  sleep 2 # let the leader write its own catalog entries
}

api() { # METHOD PATH [BODY]
  curl -sf -X "$1" -H "X-Consul-Token: ${CONSUL_HTTP_TOKEN:-}" ${3:+--data "$3"} "$CONSUL_HTTP_ADDR$2"
}

# Copies the newest raft snapshot directory of the running server into $out/raw/NAME.
copy_raft_dir() {
  local name=$1
  "$CONSUL" snapshot save "$work/trigger.snap" > /dev/null # makes the server write one
  local latest
  latest=$(ls -1t "$DATA/raft/snapshots" | head -1)
  rm -rf "$out/raw/$name-$latest"
  cp -r "$DATA/raft/snapshots/$latest" "$out/raw/$name-$latest"
}

echo "== server A: no ACLs"
unset CONSUL_HTTP_TOKEN
start fixture-a ""
"$CONSUL" snapshot save "$out/basic.snap"
for i in $(seq -w 1 20); do "$CONSUL" kv put "app/service-$i/config" "value-$i" > /dev/null; done
"$CONSUL" kv put foo/bar parent > /dev/null
"$CONSUL" kv put foo/bar/baz nested > /dev/null
"$CONSUL" kv put -flags=42 flagged/key with-flags > /dev/null
"$CONSUL" kv put empty/value "" > /dev/null
"$CONSUL" kv put "unicode/ключ-✓" "значение ✓" > /dev/null
head -c 300 /dev/urandom > "$work/blob"
"$CONSUL" kv put binary/blob @"$work/blob" > /dev/null
head -c 70000 /dev/zero | tr '\0' 'x' > "$work/big"
"$CONSUL" kv put big/value @"$work/big" > /dev/null
"$CONSUL" kv put tomb/a gone > /dev/null
"$CONSUL" kv delete -recurse tomb/ > /dev/null
api PUT /v1/coordinate/update '{"Node":"fixture-a","Coord":{"Vec":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8],"Error":1.5,"Adjustment":0.01,"Height":0.0001}}' > /dev/null
sleep 1
"$CONSUL" snapshot save "$out/kv.snap"
"$CONSUL" kv export "" > "$out/golden/kv.kv-export.json"
copy_raft_dir kv

echo "== server B: ACLs (default deny), Connect, node meta"
export CONSUL_HTTP_TOKEN=11111111-2222-3333-4444-000000000001
start fixture-b ", \"acl\": { \"enabled\": true, \"default_policy\": \"deny\", \"tokens\": { \"master\": \"$CONSUL_HTTP_TOKEN\" } },
  \"connect\": { \"enabled\": true }, \"node_meta\": { \"rack\": \"r1\" }"
"$CONSUL" acl policy create -name kv-read -rules 'key_prefix "" { policy = "read" }' > /dev/null
"$CONSUL" acl policy create -name web-svc -rules 'service "web" { policy = "write" }' > /dev/null
"$CONSUL" acl role create -name web-role -service-identity web > /dev/null
"$CONSUL" acl token create -description "web token" -accessor aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee \
  -secret 11111111-2222-3333-4444-555555555555 -policy-name web-svc -role-name web-role > /dev/null
"$CONSUL" acl token create -description "local short-lived" -local -expires-ttl=23h -policy-name kv-read > /dev/null
"$CONSUL" acl token create -description "node identity" -node-identity fixture-b:dc1 > /dev/null
openssl genrsa 2048 2>/dev/null | openssl rsa -pubout 2>/dev/null > "$work/jwt.pub" || true
python3 - "$work/jwt.pub" > "$work/jwt-config.json" <<'PY'
import json, sys
print(json.dumps({"JWTValidationPubKeys": [open(sys.argv[1]).read()], "BoundAudiences": ["fixture"],
                  "ClaimMappings": {"sub": "name"}}))
PY
"$CONSUL" acl auth-method create -type jwt -name jwt-fixture -config @"$work/jwt-config.json" > /dev/null
"$CONSUL" acl binding-rule create -method jwt-fixture -bind-type service -bind-name '${value.name}' > /dev/null
cat > "$work/web.json" <<'EOF'
{ "service": { "name": "web", "port": 8080, "tags": ["v1", "primary"],
  "check": { "ttl": "30s" },
  "connect": { "sidecar_service": { "proxy": { "upstreams": [ { "destination_name": "api", "local_bind_port": 9191 } ] } } } } }
EOF
"$CONSUL" services register "$work/web.json" > /dev/null
cat > "$work/api.json" <<'EOF'
{ "service": { "name": "api", "port": 9090, "tags": ["v2"], "check": { "ttl": "30s" } } }
EOF
"$CONSUL" services register "$work/api.json" > /dev/null
api PUT /v1/catalog/register '{"Node":"external-db","Address":"127.0.0.2","NodeMeta":{"external-node":"true","external-probe":"false"},
  "Service":{"Service":"redis","ID":"redis","Port":6379,"Tags":["primary","v1"]},
  "Check":{"CheckID":"redis-alive","Name":"redis alive","Status":"critical","ServiceID":"redis"}}' > /dev/null
api PUT /v1/coordinate/update '{"Node":"fixture-b","Coord":{"Vec":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8],"Error":1.5,"Adjustment":0.01,"Height":0.0001}}' > /dev/null
api PUT /v1/coordinate/update '{"Node":"external-db","Coord":{"Vec":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8],"Error":1.5,"Adjustment":0.01,"Height":0.0001}}' > /dev/null
"$CONSUL" kv put config/db/host 127.0.0.2 > /dev/null
"$CONSUL" kv put -flags=7 config/db/port 6379 > /dev/null
session=$(api PUT /v1/session/create '{"Name":"fixture-lock","TTL":"86400s"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
api PUT /v1/session/create '{"Name":"fixture-delete","Behavior":"delete","LockDelay":"15s"}' > /dev/null
"$CONSUL" kv put -acquire -session="$session" service/leader leader-data > /dev/null
"$CONSUL" kv put tomb/x gone > /dev/null
"$CONSUL" kv delete tomb/x > /dev/null
api POST /v1/query '{"Name":"web-query","Service":{"Service":"web","OnlyPassing":true}}' > /dev/null
api POST /v1/query '{"Name":"geo-","Template":{"Type":"name_prefix_match"},"Service":{"Service":"${name.suffix}"}}' > /dev/null
for entry in \
  '{"Kind":"proxy-defaults","Name":"global","Config":{"protocol":"http"}}' \
  '{"Kind":"service-defaults","Name":"web","Protocol":"http"}' \
  '{"Kind":"service-defaults","Name":"api","Protocol":"http"}' \
  '{"Kind":"service-resolver","Name":"api","ConnectTimeout":"5s"}' \
  '{"Kind":"service-splitter","Name":"api","Splits":[{"Weight":100}]}' \
  '{"Kind":"service-router","Name":"web","Routes":[{"Match":{"HTTP":{"PathPrefix":"/api"}},"Destination":{"Service":"api"}}]}' \
  '{"Kind":"ingress-gateway","Name":"ingress","Listeners":[{"Port":8443,"Protocol":"http","Services":[{"Name":"web"}]}]}' \
  '{"Kind":"terminating-gateway","Name":"terminating","Services":[{"Name":"redis"}]}'; do
  echo "$entry" > "$work/entry.json"
  "$CONSUL" config write "$work/entry.json" > /dev/null
done
"$CONSUL" intention create -allow web api > /dev/null
"$CONSUL" intention create -deny '*' redis > /dev/null
"$CONSUL" intention create -allow api redis > /dev/null
"$CONSUL" operator autopilot set-config -max-trailing-logs=333 -server-stabilization-time=17s -cleanup-dead-servers=false > /dev/null
sleep 1
"$CONSUL" snapshot save "$out/all.snap"
"$CONSUL" kv export "" > "$out/golden/all.kv-export.json"
curl -sf -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR/v1/catalog/nodes" > "$out/golden/all.catalog-nodes.json"
curl -sf -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR/v1/catalog/services" > "$out/golden/all.catalog-services.json"

echo "== server B: bulk KV and external nodes (large)"
for i in $(seq 0 2999); do
  printf 'bulk/%02d/item-%05d\t%d\n' $((i % 37)) "$i" $((i % 5))
done | while IFS=$'\t' read -r key flags; do
  echo "{\"Verb\":\"set\",\"Key\":\"$key\",\"Flags\":$flags,\"Value\":\"$(printf 'v%s-%s' "${key##*-}" abcdefghijabcdefghij | base64 -w0)\"}"
done | python3 -c '
import json, sys, subprocess, urllib.request, os
ops = [json.loads(l) for l in sys.stdin]
for i in range(0, len(ops), 64):
    req = urllib.request.Request(os.environ["CONSUL_HTTP_ADDR"] + "/v1/txn", data=json.dumps([{"KV": o} for o in ops[i:i+64]]).encode(),
                                 method="PUT", headers={"X-Consul-Token": os.environ["CONSUL_HTTP_TOKEN"]})
    urllib.request.urlopen(req).read()
'
for n in $(seq -w 1 100); do
  api PUT /v1/catalog/register "{\"Node\":\"node-$n\",\"Address\":\"127.0.1.$((10#$n))\",
    \"Service\":{\"Service\":\"svc-a\",\"ID\":\"svc-a-$((10#$n))\",\"Port\":20001,\"Tags\":[\"t1\"]}}" > /dev/null
  api PUT /v1/catalog/register "{\"Node\":\"node-$n\",\"Address\":\"127.0.1.$((10#$n))\",
    \"Service\":{\"Service\":\"svc-b\",\"ID\":\"svc-b-$((10#$n))\",\"Port\":20002},
    \"Check\":{\"CheckID\":\"chk-$((10#$n))\",\"Name\":\"check $((10#$n))\",\"Status\":\"passing\",\"ServiceID\":\"svc-b-$((10#$n))\"}}" > /dev/null
done
sleep 1
"$CONSUL" snapshot save "$out/large.snap"
"$CONSUL" kv export "" > "$out/golden/large.kv-export.json"
copy_raft_dir large

echo "== server B: restore all.snap (raft dir written by a restore)"
"$CONSUL" snapshot restore "$out/all.snap" > /dev/null
sleep 1
copy_raft_dir all-restored

for f in basic kv all large; do
  "$CONSUL" snapshot inspect "$out/$f.snap" > "$out/golden/$f.inspect.txt"
done
echo "fixtures written to $out"
