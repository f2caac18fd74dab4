#!/usr/bin/env bash
# Run by `npm test` (pretest): installs and starts what the test suites need on a fresh Debian
# machine, and does nothing when it is already there.
#   - Chromium (Debian's package) for the real-browser suite, driven by playwright-core;
#     `npx playwright install` cannot work without internet beyond the package registries.
#   - A Redis server on 127.0.0.1:6379 for the Redis store suites.
# Then says which Node the suites run on.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "The tests need: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} from Debian's packages..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Starting redis-server on 127.0.0.1:6379..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

# npm runs this with node_modules/.bin first on PATH: the project's own Node (the `node` devDependency).
echo "Tests run on Node $(node --version) ($(command -v node))"
