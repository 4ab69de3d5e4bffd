#!/usr/bin/env bash
# make demo: the whole job on the local emulator, from a fresh clone.
# Provision dev through the real state machine, show the endpoint, the secret
# and the alarms, write and read a key over TLS, kill the primary
# redis-server and show the reconcile that moves the secret, tear down, stop
# the emulator, and check that no process is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${ECPROV_DEMO_PORT:-4566}"
DATA=".ecprov/demo"
URL="http://127.0.0.1:${PORT}"
ECPROV="bin/ecprov"
started=$(date +%s.%N)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }

step "Set-up: redis-server, Node 22 and the npm tools, the functions for this host, the CLI"
bash scripts/deps.sh
bash scripts/node-deps.sh >/dev/null
make -s build-local ecprov >/dev/null
echo "built dist/host/*/bootstrap and $ECPROV"

step "Start the emulator on $URL (waits at 1/100 of real time)"
rm -rf "$DATA"
mkdir -p "$DATA"
"$ECPROV" local up --port "$PORT" --data-dir "$DATA" --wait-scale 0.01 >"$DATA/up.out" 2>"$DATA/emulator.log" &
EMU=$!
stop_emulator() {
  if kill -0 "$EMU" 2>/dev/null; then
    kill -TERM "$EMU" 2>/dev/null || true
    wait "$EMU" 2>/dev/null || true
  fi
}
trap stop_emulator EXIT
for _ in $(seq 1 150); do
  grep -q "listening" "$DATA/up.out" 2>/dev/null && break
  kill -0 "$EMU" 2>/dev/null || { echo "the emulator stopped; its log:"; tail -20 "$DATA/emulator.log"; exit 1; }
  sleep 0.2
done
grep -q "listening" "$DATA/up.out" || { echo "the emulator did not start within 30 s; see $DATA/emulator.log"; exit 1; }
cat "$DATA/up.out"
export AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
CA="$DATA/ca.pem"

step "Provision dev through the provision state machine"
"$ECPROV" provision --env dev

step "The endpoint, the secret and the alarms"
"$ECPROV" status --env dev
SECRET=$("$ECPROV" status --env dev --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"]["arn"])')
echo
echo "secret value (what the API and Celery workers read):"
aws secretsmanager get-secret-value --secret-id audio-pipeline/dev/redis-endpoint --query SecretString --output text | python3 -m json.tool
read -r HOST PORT_P PRIMARY < <(aws secretsmanager get-secret-value --secret-id "$SECRET" --query SecretString --output text |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["primaryEndpoint"], d["port"], d["currentPrimaryNode"])')
READER=$(aws secretsmanager get-secret-value --secret-id "$SECRET" --query SecretString --output text | python3 -c 'import json,sys; print(json.load(sys.stdin)["readerEndpoint"])')

step "The cache works over TLS (redis-cli --tls, CA $CA)"
echo "plain TCP is refused:"
redis-cli -h "$HOST" -p "$PORT_P" PING 2>&1 | head -1 || true
echo "SET through the primary endpoint $HOST:$PORT_P:"
redis-cli --tls --cacert "$CA" -h "$HOST" -p "$PORT_P" SET api:call:42:summary '{"duration_s":312,"sentiment":"positive"}' EX 300
READER_PORT=$(aws elasticache describe-replication-groups --replication-group-id audio-pipeline-dev --query 'ReplicationGroups[0].NodeGroups[0].ReaderEndpoint.Port' --output text)
for _ in $(seq 1 20); do
  v=$(redis-cli --tls --cacert "$CA" -h "$READER" -p "$READER_PORT" GET api:call:42:summary)
  [ -n "$v" ] && break
  sleep 0.1
done
echo "GET through the reader endpoint $READER:$READER_PORT: $v"
echo "CONFIG GET on the primary (R8):"
redis-cli --tls --cacert "$CA" -h "$HOST" -p "$PORT_P" CONFIG GET timeout | paste - -
redis-cli --tls --cacert "$CA" -h "$HOST" -p "$PORT_P" CONFIG GET maxmemory-policy | paste - -

step "Kill the primary redis-server ($PRIMARY) with kill -9"
NODE_PORT=$(aws elasticache describe-replication-groups --replication-group-id audio-pipeline-dev \
  --query "ReplicationGroups[0].NodeGroups[0].NodeGroupMembers[?CacheClusterId=='$PRIMARY'].ReadEndpoint.Port" --output text)
PID=$(pgrep -f "redis-server 127.0.0.1:${NODE_PORT}\$" || pgrep -f "redis-server .*:${NODE_PORT}")
killed=$(date +%s.%N)
kill -9 "$PID"
echo "killed pid $PID (port $NODE_PORT)"
NEW=""
for _ in $(seq 1 300); do
  NEW=$(aws secretsmanager get-secret-value --secret-id "$SECRET" --query SecretString --output text | python3 -c 'import json,sys; print(json.load(sys.stdin)["currentPrimaryNode"])')
  [ "$NEW" != "$PRIMARY" ] && break
  sleep 0.1
done
[ "$NEW" != "$PRIMARY" ] || { echo "the secret still names $PRIMARY after 30 s"; exit 1; }
echo "the secret names the new primary $NEW, $(elapsed "$killed") s after the kill"
echo
echo "what happened: ElastiCache notice -> SNS -> failoverrelay -> EventBridge rule -> reconcile state machine"
aws elasticache describe-events --source-identifier audio-pipeline-dev --source-type replication-group --max-records 20 \
  --query 'Events[:6].[Date,Message]' --output text
"$ECPROV" status --env dev | sed -n '/^members/,/^secret/p;/^recent/,$p'
echo "a write through the same primary endpoint after the failover:"
redis-cli --tls --cacert "$CA" -h "$HOST" -p "$PORT_P" SET celery-task-meta-demo SUCCESS EX 300

step "Tear down"
"$ECPROV" teardown --env dev --output json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("final snapshot:", d["finalSnapshot"]); [print(" deleted", x) for v in d["deleted"].values() for x in v]'

step "Stop the emulator"
# Every process the emulator started, found by walking its tree (other
# emulators on the machine are not ours to count).
descendants() {
  local all todo=("$1") out=() p
  all=$(ps -e -o pid=,ppid=)
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}; todo=("${todo[@]:1}")
    for c in $(awk -v p="$p" '$2 == p {print $1}' <<<"$all"); do out+=("$c"); todo+=("$c"); done
  done
  echo "${out[@]:-}"
}
tree=$(descendants "$EMU")
stop_emulator
trap - EXIT
sleep 1
left=""
for p in $tree; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
if [ -n "$left" ]; then
  echo "processes left behind:"; ps -o pid,cmd -p "$(echo $left | tr ' ' ',')"; exit 1
fi
echo "$(echo $tree | wc -w) processes of the emulator's tree stopped"
echo "no redis-server, Lambda or Step Functions process left"
echo
echo "demo done in $(elapsed "$started") s"
