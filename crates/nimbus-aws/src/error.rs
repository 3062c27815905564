//! Turning failed AWS calls into provider errors the engine knows how to treat:
//! throttling, 5xx, timeouts and connection failures are Retryable (the
//! engine retries them with backoff); everything else is Fatal, and a
//! request the service rejected as invalid is reported against the
//! attribute that was being set.

use crate::wire::CallError;
use nimbus_provider::ProviderError;

/// Error codes that mean "slow down" across AWS services.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "AWS.SimpleQueueService.RequestThrottled",
];

/// Error codes of transient server-side trouble.
const TRANSIENT: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerErrorException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceException",
    "IDPCommunicationError",
];

/// Error codes that mean "no such object".
const NOT_FOUND: &[&str] = &[
    "NotFound",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchEntity",
    "NoSuchBucketPolicy",
    "NotFoundException",
    "ResourceNotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "NonExistentQueue",
];

/// What went wrong in a call, in the provider's terms.
#[derive(Debug, Clone)]
pub(crate) struct AwsError {
    pub code: Option<String>,
    pub status: Option<u16>,
    pub error: ProviderError,
}

impl AwsError {
    /// AWS said the object does not exist. A 404 without an AWS error code
    /// is not enough: a proxy or a mistyped endpoint path answers that too,
    /// and taking it for "gone" would drop objects from the state. (A HEAD,
    /// which has no body, gets its code from the client.)
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref().is_some_and(|c| NOT_FOUND.contains(&c))
    }

    pub fn code_is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    pub fn message_contains(&self, needle: &str) -> bool {
        self.error.message.contains(needle)
    }

    /// A request the service refused as invalid (4xx other than "not
    /// found", "access denied" or throttling): about the configuration.
    pub fn is_invalid_request(&self) -> bool {
        !self.error.is_retryable()
            && self
                .status
                .is_some_and(|s| (400..500).contains(&s) && s != 403 && s != 404)
            && !self.code.as_deref().is_some_and(|c| {
                c.contains("AccessDenied")
                    || c.contains("Unauthorized")
                    || c.contains("Token")
                    || c.contains("Signature")
            })
    }
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> ProviderError {
        e.error
    }
}

/// The reason phrase of the statuses AWS answers errors with, after a space.
fn reason(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        403 => " Forbidden",
        404 => " Not Found",
        409 => " Conflict",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

/// `.aws("doing")?` on the result of a call: a classified error.
pub(crate) trait AwsResult<T> {
    fn aws(self, doing: &str) -> Result<T, AwsError>;

    /// Like `aws`, and an invalid request is reported against `attribute`.
    fn aws_on(self, doing: &str, attribute: &str) -> Result<T, ProviderError>
    where
        Self: Sized,
    {
        self.aws(doing).map_err(|e| {
            if e.is_invalid_request() {
                e.error.on_attribute(attribute)
            } else {
                e.error
            }
        })
    }

    /// Like `aws`, with "not found" as `None`.
    fn aws_opt(self, doing: &str) -> Result<Option<T>, ProviderError>
    where
        Self: Sized,
    {
        match self.aws(doing) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.error),
        }
    }
}

/// Classifies a failed call of the provider's own client; `doing` says
/// what was being done.
pub(crate) fn classify_call(doing: &str, err: CallError) -> AwsError {
    let (status, code, text, retryable) = match err {
        CallError::Timeout => (None, None, format!("{doing}: the request timed out"), true),
        CallError::Unreachable { reason, retryable } => (
            None,
            None,
            format!("{doing}: cannot reach AWS: {reason}"),
            retryable,
        ),
        CallError::Credentials { reason, retryable } => (
            None,
            None,
            format!("{doing}: no usable AWS credentials: {reason}"),
            retryable,
        ),
        // A success whose body did not read: a proxy's page or a cut
        // answer; the next attempt gets a whole one.
        CallError::Malformed { status, reason } => {
            (Some(status), None, format!("{doing}: {reason}"), true)
        }
        CallError::Service {
            status,
            code,
            message,
        } => {
            let retryable = status >= 500
                || status == 429
                || code
                    .as_deref()
                    .is_some_and(|c| THROTTLING.contains(&c) || TRANSIENT.contains(&c));
            let text = match (&code, &message) {
                (Some(c), Some(m)) => format!("{doing}: {c}: {m}"),
                (Some(c), None) => format!("{doing}: {c}"),
                (None, Some(m)) => format!("{doing}: {m}"),
                (None, None) => format!("{doing}: HTTP {status}{}", reason(status)),
            };
            (Some(status), code, text, retryable)
        }
    };
    AwsError {
        code,
        status,
        error: if retryable {
            ProviderError::retryable(text)
        } else {
            ProviderError::fatal(text)
        },
    }
}

impl<T> AwsResult<T> for Result<T, CallError> {
    fn aws(self, doing: &str) -> Result<T, AwsError> {
        self.map_err(|e| classify_call(doing, e))
    }
}

/// A missing field in an answer AWS gave.
pub(crate) fn missing(what: &str) -> ProviderError {
    ProviderError::retryable(format!("AWS returned no {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(status: u16, code: Option<&str>) -> AwsError {
        classify_call(
            "reading x",
            CallError::Service {
                status,
                code: code.map(str::to_string),
                message: None,
            },
        )
    }

    #[test]
    fn only_aws_saying_so_is_not_found() {
        assert!(failed(404, Some("NoSuchEntity")).is_not_found());
        assert!(failed(400, Some("ResourceNotFoundException")).is_not_found());
        // A proxy's or a wrong path's 404 is an error, not a deleted object.
        let proxy = failed(404, None);
        assert!(!proxy.is_not_found());
        assert_eq!(proxy.error.message, "reading x: HTTP 404 Not Found");
        assert!(failed(503, Some("SlowDown")).error.is_retryable());
        assert!(failed(400, Some("Throttling")).error.is_retryable());
        assert!(!failed(400, Some("ValidationError")).error.is_retryable());
        let credentials = classify_call(
            "reading x",
            CallError::Credentials {
                reason: "STS: HTTP 503".into(),
                retryable: true,
            },
        );
        assert!(credentials.error.is_retryable());
    }
}
