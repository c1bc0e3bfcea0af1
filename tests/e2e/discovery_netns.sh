#!/usr/bin/env bash
# LAN discovery between two network namespaces this script creates itself: a
# "server host" and a "client host" joined by a veth pair on 10.231.7.0/24.
# No packet touches the real machine's interfaces. Exits 77 (skipped) where
# namespaces cannot be made.
set -euo pipefail
server_bin="$1"
client_bin="$2"
suffix="$$"
server_ns="lochat-srv-$suffix"
client_ns="lochat-cli-$suffix"
empty_ns="lochat-none-$suffix"
work=$(mktemp -d)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns del "$server_ns" 2>/dev/null || true
  ip netns del "$client_ns" 2>/dev/null || true
  ip netns del "$empty_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ] || ! command -v ip > /dev/null || ! ip netns add "$server_ns" 2> /dev/null; then
  echo "SKIPPED: network namespaces need root and iproute2 (ip netns)"
  exit 77
fi
ip netns add "$client_ns"
# The pair is created inside the server namespace, its peer moved straight to the client's.
ip -n "$server_ns" link add veth-srv type veth peer name veth-cli netns "$client_ns"
ip -n "$server_ns" addr add 10.231.7.1/24 broadcast 10.231.7.255 dev veth-srv
ip -n "$client_ns" addr add 10.231.7.2/24 broadcast 10.231.7.255 dev veth-cli
for ns in "$server_ns" "$client_ns"; do
  ip -n "$ns" link set lo up
done
ip -n "$server_ns" link set veth-srv up
ip -n "$client_ns" link set veth-cli up

# Its TLS key is made in the work directory, and the clients pin it there too.
export XDG_DATA_HOME="$work/data"
ip netns exec "$server_ns" "$server_bin" --port 4444 --name "Test office" \
  --state-dir "$work/state" 2> "$work/server.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q "Answering discovery" "$work/server.log" && break
  sleep 0.05
done

echo "--- the server logs its web client's address on each of its addresses"
grep -q "Web client at https://10.231.7.1:4446/" "$work/server.log"
grep -q "Web client at https://127.0.0.1:4446/" "$work/server.log"

echo "--- lochat --discover where no interface can broadcast (a namespace with loopback only)"
ip netns add "$empty_ns"
if ip netns exec "$empty_ns" timeout 10 "$client_bin" --discover 2> "$work/empty.err"; then
  echo "lochat --discover succeeded with no network"; exit 1
fi
cat "$work/empty.err"
grep -q "no network to search for servers" "$work/empty.err"

echo "--- lochat --discover in the client namespace"
ip netns exec "$client_ns" timeout 10 "$client_bin" --discover | tee "$work/discovered"
fingerprint=$(sed -n 's/.*TLS certificate SHA-256 fingerprint: //p' "$work/server.log")
grep -q "^Test office	10.231.7.1:4444	0 online	TLS 4445 SHA-256 $fingerprint	https://10.231.7.1:4446/$" "$work/discovered"

echo "--- two lochat clients given no host find the server and chat"
mkfifo "$work/bob.in"
ip netns exec "$client_ns" timeout 20 "$client_bin" --name bob < "$work/bob.in" > "$work/bob.out" 2>&1 &
pids+=($!)
exec 3> "$work/bob.in"
for _ in $(seq 200); do
  grep -q "You are now known as bob" "$work/bob.out" && break
  sleep 0.05
done
printf 'hello from the other namespace\n' | \
  ip netns exec "$client_ns" timeout 10 "$client_bin" --name alice > "$work/alice.out" 2>&1
for _ in $(seq 200); do
  grep -q "From alice: hello from the other namespace" "$work/bob.out" && break
  sleep 0.05
done
exec 3>&-
cat "$work/alice.out" "$work/bob.out"
grep -q "connecting to Test office at 10.231.7.1:4444" "$work/alice.out"
grep -q "first TLS connection to 10.231.7.1:4445" "$work/bob.out"
grep -q "^10.231.7.1 4445 $fingerprint$" "$work/data/lochat/known_servers"
grep -q "Message Received" "$work/alice.out"
grep -q "From alice: hello from the other namespace" "$work/bob.out"
echo "discovery between namespaces: passed"
