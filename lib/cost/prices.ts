/**
 * AWS unit prices the cost estimate assumes: us-east-1, on the date below, from the public pricing
 * pages. Other regions are typically 5–30 % higher. Update the figures and the date together.
 */
export const PRICES_AS_OF = "2026-11-22";
export const PRICES_REGION = "us-east-1";

export const PRICES = {
  /** Fargate Linux/ARM on-demand (aws.amazon.com/fargate/pricing). */
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  /**
   * Fargate Spot is priced by AWS at 50–70 % below on-demand and changes over time (the pricing page's
   * "current Spot price" table); the estimate assumes the cautious end of that range.
   */
  fargateSpotDiscount: 0.6,
  /** Every public IPv4 address, in use or not, since 2024-02-01 (aws.amazon.com/vpc/pricing). */
  publicIpv4Hour: 0.005,
  /** CloudWatch (aws.amazon.com/cloudwatch/pricing); the free tier covers the first of each, every month. */
  customMetricMonth: 0.3,
  freeCustomMetrics: 10,
  alarmMonth: 0.1,
  freeAlarms: 10,
  dashboardMonth: 3,
  freeDashboards: 3,
  logsIngestGb: 0.5,
  freeLogsIngestGb: 5,
  logsStoreGbMonth: 0.03,
  /** Secrets Manager (aws.amazon.com/secrets-manager/pricing). */
  secretMonth: 0.4,
  secretApiCalls10k: 0.05,
  /** DynamoDB on-demand, standard table class (aws.amazon.com/dynamodb/pricing/on-demand). */
  dynamoWriteMillion: 0.625,
  dynamoReadMillion: 0.125,
  dynamoStoreGbMonth: 0.25,
  freeDynamoStoreGb: 25,
  dynamoPitrGbMonth: 0.2,
  /** Lambda on ARM (aws.amazon.com/lambda/pricing); free tier 1 M requests and 400,000 GB-s a month. */
  lambdaRequestMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  freeLambdaRequests: 1_000_000,
  freeLambdaGbSeconds: 400_000,
  /** SNS (aws.amazon.com/sns/pricing): publishes free for the first million; e-mail free for the first 1,000. */
  snsPublishMillion: 0.5,
  freeSnsPublishes: 1_000_000,
  snsEmail100k: 2,
  freeSnsEmails: 1_000,
  /** ECR storage of the image versions in the CDK assets repository (aws.amazon.com/ecr/pricing). */
  ecrStoreGbMonth: 0.1,
} as const;

export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = 30.42;
