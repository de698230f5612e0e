/**
 * dynamodb mode: the monitor's five tables, declared from the same definitions the monitor checks its
 * tables against at start (monitor/src/storage/dynamodb/tables.ts), so keys can never drift apart.
 * On-demand (a monitor writes a few thousand items a day: provisioned capacity would cost more),
 * point-in-time recovery, the TTL attribute, and retained when the stack is deleted: they hold the
 * trading history.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table } from "aws-cdk-lib/aws-dynamodb";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { TABLES, type TableDefinition, type TableRole } from "../monitor/src/storage/dynamodb/tables.ts";
import type { Naming } from "./naming.ts";

/** Exactly what DynamoStore calls (DescribeTable: the key-schema check at start). */
export const MONITOR_TABLE_ACTIONS = [
  "dynamodb:BatchWriteItem",
  "dynamodb:DescribeTable",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
] as const;

const attributeType = (type: "S" | "N") => (type === "S" ? AttributeType.STRING : AttributeType.NUMBER);

export class MonitorTables extends Construct {
  readonly tables = new Map<TableRole, Table>();

  constructor(scope: Construct, id: string, props: { naming: Naming }) {
    super(scope, id);
    for (const definition of TABLES) {
      this.tables.set(definition.role, this.#table(definition, props.naming.tableName(definition.role)));
    }
  }

  get names(): string[] {
    return [...this.tables.values()].map((table) => table.tableName);
  }

  /** The monitor's data actions on its five tables and the one index it queries, by exact ARN. */
  grantMonitor(grantee: IGrantable): void {
    const resources: string[] = [];
    for (const definition of TABLES) {
      const table = this.tables.get(definition.role)!;
      resources.push(table.tableArn);
      for (const index of definition.localIndexes) resources.push(`${table.tableArn}/index/${index.name}`);
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...MONITOR_TABLE_ACTIONS], resources }),
    );
  }

  #table(definition: TableDefinition, tableName: string): Table {
    const table = new Table(this, definition.role, {
      tableName,
      partitionKey: {
        name: definition.partitionKey.name,
        type: attributeType(definition.partitionKey.type),
      },
      sortKey: { name: definition.sortKey.name, type: attributeType(definition.sortKey.type) },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.localIndexes) {
      table.addLocalSecondaryIndex({
        indexName: index.name,
        sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) },
      });
    }
    return table;
  }
}
