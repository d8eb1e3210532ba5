#!/usr/bin/env bash
# The same set as docker-compose.yml without containers: nats-server, three
# replicas on ports 3001–3003 and nginx on http://127.0.0.1:8080, all from
# Debian's packages and the release build (`make build` first). Ctrl-C
# stops everything. `kill` a replica's pid (printed) to watch a takeover.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nats-server >/dev/null || { echo "needs nats-server (apt-get install nats-server)"; exit 1; }
command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx)"; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
nats-server -js -a 127.0.0.1 -p 4222 -sd "$work/nats" & pids+=($!)
sleep 0.5
for i in 1 2 3; do
  ./target/release/switchboard serve --addr 127.0.0.1:300$i --nats nats://127.0.0.1:4222 & pids+=($!)
  echo "replica$i: pid $!, http://127.0.0.1:300$i"
done
sed -e 's/replica\([123]\):3000/127.0.0.1:300\1/' \
    -e "s|^events|pid $work/nginx.pid;\nerror_log stderr;\nevents|" \
    -e "s|^http {|http {\n    access_log off;\n    client_body_temp_path $work;\n    proxy_temp_path $work;|" \
    deploy/nginx.conf > "$work/nginx.conf"
nginx -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
echo "balancer: http://127.0.0.1:8080"
wait
