"""One canonical name per cloud service, whatever source named it.

AWS names a service three ways: the CUR's `product_servicecode` (`AmazonEC2`), the product
name that FOCUS exports put in `ServiceName` (`Amazon Elastic Compute Cloud`), and Cost
Explorer's SERVICE dimension (`Amazon Elastic Compute Cloud - Compute`, `EC2 - Other` for
EBS, NAT and the rest the CUR also files under AmazonEC2). A budget scope written with any
spelling matches the spend of every spelling, so a budget matches the same spend whichever
source fed the store. The canonical name is the FOCUS one.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Canonical (FOCUS) name -> the other spellings of the same service.
AWS_SERVICES: dict[str, tuple[str, ...]] = {
    "Amazon Elastic Compute Cloud": (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud - Compute",
        "EC2 - Other",
    ),
    "Amazon Simple Storage Service": ("AmazonS3",),
    "Amazon Relational Database Service": ("AmazonRDS",),
    "AWS Lambda": ("AWSLambda",),
    "Amazon DynamoDB": ("AmazonDynamoDB",),
    "Amazon CloudFront": ("AmazonCloudFront",),
    "Amazon Virtual Private Cloud": ("AmazonVPC",),
    "AmazonCloudWatch": ("Amazon CloudWatch",),
    "Elastic Load Balancing": ("AWSELB", "Amazon Elastic Load Balancing"),
    "Amazon Elastic Container Service": ("AmazonECS",),
    "Amazon Elastic Kubernetes Service": (
        "AmazonEKS",
        "Amazon Elastic Container Service for Kubernetes",
    ),
    "Amazon EC2 Container Registry (ECR)": ("AmazonECR", "Amazon Elastic Container Registry"),
    "Amazon Simple Queue Service": ("AWSQueueService",),
    "Amazon Simple Notification Service": ("AmazonSNS",),
    "Amazon Route 53": ("AmazonRoute53",),
    "AWS Key Management Service": ("awskms",),
    "Amazon ElastiCache": ("AmazonElastiCache",),
    "Amazon Redshift": ("AmazonRedshift",),
    "Amazon OpenSearch Service": ("AmazonES", "Amazon Elasticsearch Service"),
    "AWS Glue": ("AWSGlue",),
    "Amazon Athena": ("AmazonAthena",),
    "Amazon Kinesis": ("AmazonKinesis",),
    "AWS Secrets Manager": ("AWSSecretsManager",),
    "AWS Data Transfer": ("AWSDataTransfer",),
    "AWS Support (Business)": ("AWSSupportBusiness",),
    "AWS Support (Enterprise)": ("AWSSupportEnterprise",),
}

_CANONICAL: dict[str, str] = {
    spelling.casefold(): canonical
    for canonical, aliases in AWS_SERVICES.items()
    for spelling in (canonical, *aliases)
}


def canonical_service(name: str) -> str:
    """The canonical name of `name` (case-insensitive); an unknown name is its own."""
    return _CANONICAL.get(name.strip().casefold(), name)


def service_spellings(names: Iterable[str]) -> frozenset[str]:
    """Every spelling of the services named (what a scope's service filter matches)."""
    found: set[str] = set()
    for name in names:
        canonical = canonical_service(name)
        found.add(name)
        if canonical in AWS_SERVICES:
            found.update((canonical, *AWS_SERVICES[canonical]))
    return frozenset(found)
