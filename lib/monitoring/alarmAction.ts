/**
 * What an alarm does when it changes state, plugged into every alarm the same way. The default sends
 * both ALARM and OK to the alert topic, so the channels also hear when a problem is over.
 */
import type { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { ITopic } from "aws-cdk-lib/aws-sns";

export interface AlarmActionStrategy {
  apply(alarm: Alarm): void;
}

export class NotifyTopicOnAlarmAndOk implements AlarmActionStrategy {
  readonly #topic: ITopic;

  constructor(topic: ITopic) {
    this.#topic = topic;
  }

  apply(alarm: Alarm): void {
    const action = new SnsAction(this.#topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
