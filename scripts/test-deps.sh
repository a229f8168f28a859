# Sourced by ./test after build-deps.sh: what the tests need besides the build, installed
# when missing, and the variables that make the tests fail (not skip) when it is there.

# The MQTT ingest tests run against Mosquitto as well as the embedded broker; with
# HANSE_REQUIRE_MOSQUITTO set, a missing mosquitto fails them instead of skipping.
if ! command -v mosquitto >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing mosquitto (MQTT broker for the ingest tests)"
  apt_install mosquitto
fi
if command -v mosquitto >/dev/null 2>&1; then
  export HANSE_REQUIRE_MOSQUITTO=1
fi

# The partition-heal scenario puts each node in its own network namespace (iproute2, root);
# with HANSE_REQUIRE_NETNS set it fails instead of falling back to the connection gate.
if [ "$(id -u)" -eq 0 ]; then
  if ! command -v ip >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing iproute2 (network namespaces for the partition scenario)"
    apt_install iproute2
  fi
  if command -v ip >/dev/null 2>&1; then
    export HANSE_REQUIRE_NETNS=1
  fi
fi

# The gate test runs the node behind a real reverse proxy (nginx, TLS with a throwaway
# certificate made by openssl) and checks that visitors through it stay visitors.
if ! command -v nginx >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing nginx-light (reverse proxy in the gate test)"
  apt_install nginx-light
fi
if ! command -v openssl >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing openssl (throwaway TLS certificate in the gate test)"
  apt_install openssl
fi

# The OGC API – Features test reads the node with a real client (OWSLib).
if ! python3 -c "import owslib.ogcapi.features" >/dev/null 2>&1; then
  echo "==> installing owslib (OGC API - Features client in the tests)"
  python3 -m pip install --quiet owslib
fi

# The DCAT-AP conformance test validates the catalogue with a real SHACL engine (pyshacl).
if ! python3 -c "import pyshacl" >/dev/null 2>&1; then
  echo "==> installing pyshacl (DCAT-AP 3.0.1 SHACL validation in the tests)"
  python3 -m pip install --quiet pyshacl
fi

# The web console's browser tests (tests/tests/e2e/console.rs) drive Debian's chromium with
# playwright-core and check accessibility with axe-core (npm, pinned in
# tests/console/package-lock.json; never a browser download). With HANSE_REQUIRE_BROWSER set,
# a missing browser fails them instead of skipping.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing chromium (browser tests of the web console)"
  apt_install --no-install-recommends chromium fonts-dejavu-core
fi
if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "==> installing nodejs and npm (browser tests of the web console)"
  apt_install nodejs npm
fi
if command -v npm >/dev/null 2>&1 && [ ! -d tests/console/node_modules/playwright-core ]; then
  echo "==> npm ci in tests/console (playwright-core, axe-core)"
  (cd tests/console && npm ci --no-audit --no-fund --silent)
fi
if command -v chromium >/dev/null 2>&1 && [ -d tests/console/node_modules/axe-core ]; then
  export HANSE_REQUIRE_BROWSER=1
fi
