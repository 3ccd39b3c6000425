#!/usr/bin/env bash
# Copy the README's screenshots from the browser journeys' output (var/screenshots/, written by
# `make test`) into docs/screenshots/. `make screenshots` runs the journeys first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# docs/screenshots/<name>   <-   var/screenshots/<file written by a journey>
SHOTS=(
    "today.png                role-05-sdr-today-call.png"
    "today-keys.png           today-keys-03-after-voicemail.png"
    "lead.png                 role-07-sdr-lead-engaged-after-reply.png"
    "qualify.png              role-08-sdr-qualify-form.png"
    "ae-queue.png             role-10-ae-queue-history.png"
    "import-mapping.png       import-02-mapping.png"
    "import-report.png        import-04-report.png"
    "pipeline.png             dashboards-01-pipeline.png"
    "commission.png           dashboards-05-commission.png"
    "phone-lead.png           phone-03-sdr-lead-researched.png"
)

mkdir -p docs/screenshots
for line in "${SHOTS[@]}"; do
    read -r name source <<<"$line"
    if [[ ! -f var/screenshots/$source ]]; then
        echo "readme-screenshots: var/screenshots/$source is missing: run the journeys first" >&2
        exit 1
    fi
    cp "var/screenshots/$source" "docs/screenshots/$name"
done
echo "readme-screenshots: ${#SHOTS[@]} screenshots copied to docs/screenshots/"
