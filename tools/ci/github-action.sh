#!/usr/bin/env bash
# The steps of the support-scope GitHub Action (action.yml), as a script the tests run locally.
#
# Reads what GitHub gives a step: GITHUB_WORKSPACE (the checkout), GITHUB_ACTION_PATH (the
# action's own checkout: this repository), GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (files to append
# to), GITHUB_BASE_REF (a pull request's base branch); and the inputs, as INPUT_ROOT,
# INPUT_MIN_COVERAGE, INPUT_INSTALL. PYTHON names the interpreter (default: python3).
#
#   1. install support-scope from the action's checkout (unless INPUT_INSTALL is "false");
#   2. support-scope check --format github (annotations), without the decision tests;
#   3. support-scope test --format github, when the project has decision tests;
#   4. for each policy, the diff (against the pull request's base when git has it, else against
#      the policy's latest release) as annotations on the changed lines, and in Markdown in the
#      job summary;
#   5. outputs check, decision-tests, required-bump; exit 1 when the check or a test failed.
set -uo pipefail

workspace="${GITHUB_WORKSPACE:-$PWD}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action_path="${GITHUB_ACTION_PATH:-$(cd "$here/../.." && pwd)}"
python="${PYTHON:-python3}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"

if [ "${INPUT_INSTALL:-true}" = "true" ]; then
    echo "::group::Install support-scope"
    if ! "$python" -m pip install --quiet "$action_path"; then
        echo "::error title=support-scope::could not install support-scope from $action_path"
        exit 1
    fi
    echo "::endgroup::"
fi
if ! command -v support-scope >/dev/null 2>&1; then
    echo "::error title=support-scope::support-scope is not on the PATH (install it, or set install: true)"
    exit 1
fi

cd "$workspace/${INPUT_ROOT:-.}" || {
    echo "::error title=support-scope::no project directory ${INPUT_ROOT:-.} in the workspace"
    exit 1
}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# 2. The gate; its JSON form says each policy's latest release and the version step it needs.
support-scope check --no-decision-tests --format github
check_status=$?
support-scope check --no-decision-tests --format json >"$scratch/check.json" 2>/dev/null
check="pass"
[ "$check_status" -eq 0 ] || check="fail"

# 3. The decision tests, when there are some.
tests="none"
tests_status=0
shopt -s nullglob
decision_files=(tests/decisions/*.json tests/decisions/*/*.json)
shopt -u nullglob
if [ "${#decision_files[@]}" -gt 0 ]; then
    coverage=()
    if [ -n "${INPUT_MIN_COVERAGE:-}" ]; then
        coverage=(--min-coverage "$INPUT_MIN_COVERAGE")
    fi
    # Without --policy: the project's only policy (each policy's own tests when there are several).
    for policy in policies/*.json; do
        id="$(basename "$policy" .json)"
        policy_args=()
        if [ "$(ls policies/*.json | wc -l)" -gt 1 ]; then
            [ -d "tests/decisions/$id" ] || continue
            policy_args=(--policy "$id")
        fi
        support-scope test "${policy_args[@]}" "${coverage[@]}" --format github || tests_status=1
    done
    tests="pass"
    [ "$tests_status" -eq 0 ] || tests="fail"
fi

# 4. The diff of each policy: annotations on the changed lines, Markdown in the job summary.
{
    echo "# support-scope"
    echo
    echo "- check: **$check**"
    echo "- decision tests: **$tests**"
    echo
} >>"$summary"
"$python" - "$scratch/check.json" >"$scratch/policies.txt" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1], encoding="utf-8"))
except (OSError, ValueError):
    report = {"policies": []}
for policy in report.get("policies", []):
    if policy.get("state") != "invalid":
        print(policy["policy_id"], policy["file"], policy.get("latest_release") or "-", policy.get("required_bump") or "none")
PY
bump="none"
rank() { case "$1" in major) echo 3 ;; minor) echo 2 ;; patch) echo 1 ;; *) echo 0 ;; esac; }
while read -r id file latest required; do
    [ "$(rank "$required")" -gt "$(rank "$bump")" ] && bump="$required"
    old=""
    if [ -n "${GITHUB_BASE_REF:-}" ] && git rev-parse --verify --quiet "origin/$GITHUB_BASE_REF" >/dev/null \
        && git cat-file -e "origin/$GITHUB_BASE_REF:$(git ls-files --full-name "$file")" 2>/dev/null; then
        old="origin/$GITHUB_BASE_REF:$(git ls-files --full-name "$file")"
        against="the pull request's base ($GITHUB_BASE_REF)"
    elif [ "$latest" != "-" ]; then
        old="releases/$id/$latest.json"
        against="its latest release $latest"
    fi
    if [ -z "$old" ]; then
        echo "$id: never released; no diff" >>"$summary"
        continue
    fi
    support-scope diff "$old" "$file" --format github
    {
        echo "Changes of \`$file\` since $against:"
        echo
        support-scope diff "$old" "$file" --format markdown
        echo
    } >>"$summary"
done <"$scratch/policies.txt"

# 5. Outputs and the verdict.
{
    echo "check=$check"
    echo "decision-tests=$tests"
    echo "required-bump=$bump"
} >>"$outputs"
if [ "$check" = "fail" ] || [ "$tests" = "fail" ]; then
    exit 1
fi
exit 0
