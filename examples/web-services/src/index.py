import json
import os


def handler(event, context):
    """Answers API Gateway (proxy integration) with the bucket it was given."""
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"bucket": os.environ.get("BUCKET"), "path": event.get("path")}),
    }
