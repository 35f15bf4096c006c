"""What every boto3 script here shares: clients pointed at spacelab's fake EC2/STS with the
credentials the Go test passes in the environment, and a report that records how a request that
must fail was refused. The Go side (fakeaws/boto3_test.go, runBoto3) reads the report as JSON.

Environment: SPACELAB_ENDPOINT, and WHO_KEY / WHO_SECRET / WHO_REGION for each account WHO
(CUSTOMER, HEROKU).
"""
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

env = os.environ
# One attempt: a retried refusal would hide the first answer, which is what the tests check.
_config = Config(retries={"max_attempts": 1, "mode": "standard"})


def client(service="ec2", who="CUSTOMER"):
    """A boto3 client for service, signed as the account WHO, sending to spacelab."""
    return boto3.client(
        service,
        endpoint_url=env["SPACELAB_ENDPOINT"],
        aws_access_key_id=env[who + "_KEY"],
        aws_secret_access_key=env[who + "_SECRET"],
        region_name=env[who + "_REGION"],
        config=_config,
    )


class Report(dict):
    """The script's findings, printed as JSON at the end."""

    def refused(self, key, call, state=None, **kw):
        """Make a request that must fail and record, under key, its error code and HTTP status
        ("succeeded" if it did not fail). With state (a function describing what the request
        could change), also record whether the refusal left it "unchanged"."""
        before = state() if state else None
        try:
            call(**kw)
        except ClientError as e:
            got = "%s %d" % (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
            if state:
                got += " unchanged" if state() == before else " CHANGED"
            self[key] = got
            return
        self[key] = "succeeded"
