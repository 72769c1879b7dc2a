//! The drift check (tests only): the hand-written types of `types/`,
//! `problem.rs` and `events/` against the OpenAPI document Herald serves,
//! `clients/openapi.json` (which Herald's own suite keeps current).
//!
//! For each struct, the field names serde reads (taken from the derive
//! itself by a deserializer that only records them) must be exactly the
//! properties of its component schema; for the two that flatten another
//! (`allOf` in the document), a sample made from the schema must come back
//! with the same keys; for each enum, its values; for [`Event`], one
//! variant per `PublishBody` type, each data struct's fields exactly that
//! type's `data` properties; and every operation of the document must be
//! listed in [`OPERATIONS`] with the method that calls it. A change to the
//! document fails here until the client follows.

use std::collections::BTreeSet;

use serde::{
    de::{self, value::Error as DeError, Deserializer, Visitor},
    forward_to_deserialize_any, Deserialize, Serialize,
};
use serde_json::{json, Map, Value};

use crate::{
    events::{
        CreditsDepleted, CreditsLow, EventData, ProjectCompleted, ProjectCreated, ProjectFailed, ProjectProcessing,
        VoiceCloneCompleted, VoiceCloneFailed,
    },
    problem::{FieldError, Problem},
    types::*,
    Event,
};

/// Each operation of the document and the client methods that call it.
const OPERATIONS: &[(&str, &str)] = &[
    ("list_accounts", "list_accounts, accounts"),
    ("create_account", "create_account"),
    ("get_account", "get_account"),
    ("create_key", "create_key"),
    ("list_deliveries", "list_deliveries, deliveries"),
    ("get_delivery", "get_delivery"),
    ("retry_delivery", "retry_delivery"),
    ("list_endpoints", "list_endpoints, endpoints"),
    ("create_endpoint", "create_endpoint"),
    ("get_endpoint", "get_endpoint"),
    ("update_endpoint", "update_endpoint"),
    ("delete_endpoint", "delete_endpoint"),
    ("disable_endpoint", "disable_endpoint"),
    ("enable_endpoint", "enable_endpoint"),
    ("get_headers", "endpoint_headers"),
    ("get_secret", "endpoint_secret"),
    ("rotate_secret", "rotate_secret"),
    ("recover", "recover"),
    ("get_recovery", "get_recovery"),
    ("send_test", "send_test"),
    ("endpoint_stats", "endpoint_stats"),
    ("list_events", "list_events, events, poll_events, newest_event_id"),
    ("get_event", "get_event"),
    ("publish", "publish, publish_idempotent"),
    ("publish_batch", "publish_batch"),
    ("stream_events", "stream_events"),
    ("create_portal_link", "create_portal_link"),
    ("list_event_types", "event_types"),
];

/// Records the field names (or variant names) a derived `Deserialize` asks for, then stops.
#[derive(Default)]
struct Introspect {
    names: Option<&'static [&'static str]>,
}

impl<'de> Deserializer<'de> for &mut Introspect {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
        Err(de::Error::custom("not a struct or an enum"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, DeError> {
        self.names = Some(fields);
        Err(de::Error::custom("recorded"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, DeError> {
        self.names = Some(variants);
        Err(de::Error::custom("recorded"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The names a type's derive reads: a struct's fields or an enum's variants.
fn names<T: for<'de> Deserialize<'de>>() -> BTreeSet<String> {
    let mut introspect = Introspect::default();
    let _ = T::deserialize(&mut introspect);
    let names = introspect.names.unwrap_or_else(|| panic!("{} is a plain struct or enum", std::any::type_name::<T>()));
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The document, as Herald serves it.
fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../clients/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("the document is JSON")
}

/// A component schema, its `$ref`s and `allOf`s resolved into one object schema.
fn component(document: &Value, name: &str) -> Map<String, Value> {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "the document has no schema {name}");
    resolve(document, schema)
}

/// The properties of a schema, through `$ref` and `allOf`.
fn resolve(document: &Value, schema: &Value) -> Map<String, Value> {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or_default();
        return component(document, name);
    }
    let mut properties = schema["properties"].as_object().cloned().unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        properties.extend(resolve(document, part));
    }
    properties
}

/// The property names of a component schema.
fn properties(document: &Value, name: &str) -> BTreeSet<String> {
    component(document, name).keys().cloned().collect()
}

/// A value of every property of a schema, none null, for the round trip of the flattened types.
fn sample(document: &Value, name: &str) -> Value {
    let mut object = Map::new();
    for (property, schema) in component(document, name) {
        object.insert(property, sample_value(document, &schema));
    }
    Value::Object(object)
}

fn sample_value(document: &Value, schema: &Value) -> Value {
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap_or_default();
        return sample_value(document, &document["components"]["schemas"][name]);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choice) = schema[key].as_array().into_iter().flatten().find(|s| s["type"] != "null") {
            return sample_value(document, choice);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => json!({}),
    }
}

/// The keys a type writes after reading the sample of its schema.
fn round_trip_keys<T: for<'de> Deserialize<'de> + Serialize>(document: &Value, name: &str) -> BTreeSet<String> {
    let value: T = serde_json::from_value(sample(document, name))
        .unwrap_or_else(|e| panic!("{name}'s sample reads as {}: {e}", std::any::type_name::<T>()));
    let written = serde_json::to_value(value).expect("it writes");
    written.as_object().expect("an object").keys().cloned().collect()
}

#[test]
fn each_struct_has_exactly_the_properties_of_its_schema() {
    let document = document();
    let structs: Vec<(&str, BTreeSet<String>)> = vec![
        ("AccountView", names::<Account>()),
        ("NewAccountBody", names::<NewAccount>()),
        ("KeyView", names::<Key>()),
        ("EndpointView", names::<Endpoint>()),
        ("NewEndpointBody", names::<NewEndpoint>()),
        ("EndpointPatchBody", names::<EndpointPatch>()),
        ("SecretView", names::<Secret>()),
        ("HeadersView", names::<EndpointHeaders>()),
        ("RotateBody", names::<RotateSecret>()),
        ("EnableBody", names::<Enable>()),
        ("RecoverBody", names::<RecoverRange>()),
        ("RecoveryView", names::<Recovery>()),
        ("TestEventBody", names::<TestEvent>()),
        ("EndpointStatsView", names::<EndpointStats>()),
        ("HourView", names::<HourStats>()),
        ("DeliveryView", names::<Delivery>()),
        ("AttemptView", names::<Attempt>()),
        ("PublishedView", names::<Published>()),
        ("BatchView", names::<BatchPublished>()),
        ("EventTypeList", names::<EventTypeList>()),
        ("EventTypeView", names::<EventTypeInfo>()),
        ("PortalLinkBody", names::<PortalLinkOptions>()),
        ("PortalLinkView", names::<PortalLink>()),
        ("Problem", names::<Problem>()),
        ("FieldError", names::<FieldError>()),
        ("List_AccountView", names::<Page<Account>>()),
        ("List_DeliveryView", names::<Page<Delivery>>()),
        ("List_EndpointView", names::<Page<Endpoint>>()),
        ("List_EnvelopeView", names::<Page<Envelope>>()),
        ("EnvelopeView", names::<Envelope>()),
    ];
    for (schema, fields) in structs {
        assert_eq!(fields, properties(&document, schema), "the fields of the type for {schema}");
    }
}

#[test]
fn the_types_that_flatten_another_write_exactly_the_properties_of_their_schema() {
    let document = document();
    assert_eq!(
        round_trip_keys::<CreatedEndpoint>(&document, "CreatedEndpointView"),
        properties(&document, "CreatedEndpointView")
    );
    assert_eq!(
        round_trip_keys::<DeliveryDetail>(&document, "DeliveryDetailView"),
        properties(&document, "DeliveryDetailView")
    );
}

#[test]
fn each_enum_has_exactly_the_values_of_its_schema() {
    let document = document();
    let enums = [
        ("DeliveryStatus", names::<DeliveryStatus>()),
        ("AttemptError", names::<AttemptError>()),
        ("DisabledCause", names::<DisabledCause>()),
        ("RecoveryStatus", names::<RecoveryStatus>()),
    ];
    for (schema, variants) in enums {
        let values: BTreeSet<String> = document["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} is an enum"))
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect();
        assert_eq!(variants, values, "the variants of the type for {schema}");
    }
}

#[test]
fn event_has_one_variant_per_publishable_type_each_with_the_fields_of_its_data() {
    let document = document();
    let data: Vec<(&str, BTreeSet<String>)> = vec![
        (CreditsDepleted::TYPE, names::<CreditsDepleted>()),
        (CreditsLow::TYPE, names::<CreditsLow>()),
        (ProjectCompleted::TYPE, names::<ProjectCompleted>()),
        (ProjectCreated::TYPE, names::<ProjectCreated>()),
        (ProjectFailed::TYPE, names::<ProjectFailed>()),
        (ProjectProcessing::TYPE, names::<ProjectProcessing>()),
        (VoiceCloneCompleted::TYPE, names::<VoiceCloneCompleted>()),
        (VoiceCloneFailed::TYPE, names::<VoiceCloneFailed>()),
    ];
    let variants =
        document["components"]["schemas"]["PublishBody"]["oneOf"].as_array().expect("PublishBody is a oneOf");
    let in_document: BTreeSet<&str> =
        variants.iter().map(|v| v["properties"]["type"]["const"].as_str().expect("a const type")).collect();
    assert_eq!(Event::TYPES.iter().copied().collect::<BTreeSet<_>>(), in_document, "Event's types");
    assert_eq!(data.iter().map(|(t, _)| *t).collect::<BTreeSet<_>>(), in_document, "the data structs' types");
    for variant in variants {
        let event_type = variant["properties"]["type"]["const"].as_str().expect("a const type");
        let schema = &variant["properties"]["data"];
        let expected: BTreeSet<String> =
            schema["properties"].as_object().expect("data properties").keys().cloned().collect();
        let fields = &data.iter().find(|(t, _)| *t == event_type).expect("a struct for each type").1;
        assert_eq!(fields, &expected, "the fields of {event_type}'s data");
        let required: BTreeSet<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r.as_str().expect("a name").to_owned())
            .collect();
        let minimal = Event::from_parts(
            event_type,
            Value::Object(
                required.iter().map(|r| (r.clone(), sample_value(&document, &schema["properties"][r]))).collect(),
            ),
        );
        assert!(minimal.is_ok(), "{event_type} reads with its required fields alone: {minimal:?}");
        assert_eq!(minimal.unwrap().event_type(), event_type);
    }
}

#[test]
fn every_operation_of_the_document_has_a_method() {
    let document = document();
    let in_document: BTreeSet<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|path| path.as_object().into_iter().flatten())
        .filter_map(|(_, operation)| operation["operationId"].as_str())
        .collect();
    let listed: BTreeSet<&str> = OPERATIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(listed, in_document, "the operations the client calls");
}
