# Runs AWS CLI v2 commands one after another in one Python process, each exactly as the `aws`
# script runs one: awscli.clidriver.AWSCLIEntryPoint().main(args), with the command's own
# environment (credentials, region, HOME), its own stdout and stderr, and the exit code the CLI
# returns. Starting the CLI (importing awscli and botocore) costs about 0.8 s of CPU; a command
# run here costs what the CLI does after that (about 0.3 s: the EC2 model, the request, the output).
#
# Requests come on fd 3, one JSON object a line: {"args": [...], "env": ["K=V", ...]}.
# Answers go to fd 4, one JSON object a line: {"stdout": "...", "stderr": "...", "code": N}.
# The process ends when fd 3 is closed.
import io
import json
import os
import sys

_before = dict(os.environ)
import awscli.clidriver  # noqa: E402

# What importing the CLI put in the environment (AWS_DATA_PATH: where its data is), which the
# `aws` process has too whatever environment it was given.
_imported = {k: v for k, v in os.environ.items() if _before.get(k) != v}


def run(args, env):
    os.environ.clear()
    os.environ.update(kv.split("=", 1) for kv in env)
    os.environ.update(_imported)
    if os.environ.get("LC_CTYPE", "") == "UTF-8":  # as /usr/bin/aws does
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = awscli.clidriver.AWSCLIEntryPoint().main(args)
    except SystemExit as e:
        code = e.code
    finally:
        sys.stdout, sys.stderr = saved
    if code is None:
        code = 0
    elif not isinstance(code, int):
        code = 1
    return {
        "stdout": out.buffer.getvalue().decode("utf-8", "replace"),
        "stderr": err.buffer.getvalue().decode("utf-8", "replace"),
        "code": code,
    }


def main():
    with os.fdopen(3, "r", encoding="utf-8") as requests, os.fdopen(4, "w", encoding="utf-8") as answers:
        for line in requests:
            req = json.loads(line)
            answers.write(json.dumps(run(req["args"], req["env"])) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
