#!/usr/bin/env bash
# Refuses to run a preview with anything but a read-only preview role (issue: CI/CD trust
# boundaries). Called by every job that runs `pulumi preview`, before it asks for credentials.
#
#   PREVIEW_ROLE      ${{ vars.AWS_PREVIEW_ROLE_ARN }}: the read-only role this job assumes
#                     (repository variable: dev's preview role; variable of the `prod-preview`
#                     environment: prod's)
#   DEPLOY_ROLE       ${{ vars.AWS_ROLE_ARN }} as this job sees it: empty in the safe set-up, where
#                     deploy roles are variables of the `dev` and `production` environments only
#   REPO_WIDE_SECRETS names of secrets this job can read that open every stack (space-separated,
#                     from `secrets.X != ''` checks, never the values): empty in the safe set-up
#   CONTEXT           `pull-request` or `main` (wording of the messages only)
#
# Exit 1 with an ::error:: annotation when the set-up is unsafe, 0 otherwise.
set -euo pipefail

context=${CONTEXT:-pull-request}
fail() {
    echo "::error title=Unsafe CI set-up::$1"
    echo "See docs/ci.md, section 2 (roles and subjects) and section 4 (variables and secrets)." >&2
    exit 1
}

if [[ -z "${PREVIEW_ROLE:-}" ]]; then
    if [[ -n "${DEPLOY_ROLE:-}" ]]; then
        fail "only the deploy role (AWS_ROLE_ARN) is configured. Refusing to run the ${context}'s code with a role that can change infrastructure: create the read-only preview role and set AWS_PREVIEW_ROLE_ARN."
    fi
    fail "AWS_PREVIEW_ROLE_ARN is not set: previews run only with the read-only preview role."
fi
if [[ -n "${DEPLOY_ROLE:-}" && "${PREVIEW_ROLE}" == "${DEPLOY_ROLE}" ]]; then
    fail "AWS_PREVIEW_ROLE_ARN names the deploy role (AWS_ROLE_ARN). Previews need their own read-only role, trusted only for the preview subject."
fi
case "${PREVIEW_ROLE}" in
    arn:aws:iam::*:role/* | arn:aws-cn:iam::*:role/* | arn:aws-us-gov:iam::*:role/*) ;;
    *) fail "AWS_PREVIEW_ROLE_ARN is not an IAM role ARN: ${PREVIEW_ROLE}" ;;
esac
read -r -a repo_wide <<< "${REPO_WIDE_SECRETS:-}"
if (( ${#repo_wide[@]} > 0 )); then
    fail "repository-level secret(s) ${repo_wide[*]} can be read by the code of every pull request: move them to the environments (docs/ci.md, section 4)."
fi
if [[ -n "${DEPLOY_ROLE:-}" ]]; then
    echo "::warning title=Deploy role visible::AWS_ROLE_ARN is set at repository level; deploy roles belong on the dev and production environments only."
fi
echo "Preview role: ${PREVIEW_ROLE}"
