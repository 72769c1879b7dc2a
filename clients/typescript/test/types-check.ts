// Compile-time checks of the public types (run by generated.test.mjs with tsc, never executed).
import { HeraldClient, isEventType, type Envelope, type PublishEvent } from "herald-client";

declare const herald: HeraldClient;

export async function checks(): Promise<void> {
  // A catalog event: data typed by type.
  await herald.events.publish("acme", {
    type: "project.completed",
    data: { project_id: 42, project_type: "scene_project", video_url: "https://x.test/v.mp4", duration_seconds: 50, credits_used: 500 },
  });
  // Extra fields in data are allowed (Herald delivers them).
  await herald.events.publish("acme", { type: "credits.low", data: { balance: 1, threshold: 5, note: "extra" } });

  // @ts-expect-error project_id must be a number
  await herald.events.publish("acme", { type: "project.completed", data: { project_id: "42", project_type: "x", video_url: "u", duration_seconds: 1, credits_used: 1 } });
  // @ts-expect-error video_url is required for project.completed
  await herald.events.publish("acme", { type: "project.completed", data: { project_id: 42, project_type: "x", duration_seconds: 1, credits_used: 1 } });
  // @ts-expect-error credits.depleted's balance is always 0
  await herald.events.publish("acme", { type: "credits.depleted", data: { balance: 3 } });
  // @ts-expect-error not a catalog type
  await herald.events.publish("acme", { type: "project.exploded", data: {} });
  // An operator's own type goes through publishAny.
  await herald.events.publishAny("acme", { type: "order.shipped", data: { order: 1 } });

  const batch: PublishEvent[] = [{ type: "credits.depleted", data: { balance: 0 } }];
  await herald.events.publishBatch("acme", batch);

  // Filters are typed from the document.
  // @ts-expect-error not a delivery status
  herald.deliveries.list("acme", { status: "lost" });
  for await (const d of herald.deliveries.list("acme", { status: "failed", limit: 2 })) {
    const s: "pending" | "succeeded" | "failed" | "skipped" = d.status;
    void s;
  }

  // Endpoint settings.
  await herald.endpoints.create("acme", { url: "https://x.test", rate_limit: 10, headers: { Authorization: "Bearer x" }, ordered: true, filter: "data.balance <= 10" });
  // @ts-expect-error unknown field (additionalProperties: false)
  await herald.endpoints.update("acme", "ep_x", { colour: "red" });

  // Narrowing an envelope.
  const e = (await herald.events.get("acme", "evt_x")) satisfies Envelope;
  if (isEventType(e, "project.completed")) {
    const url: string = e.data.video_url;
    void url;
  }
}
