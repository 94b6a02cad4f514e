//! Each trigger's event against the example Tencent Cloud documents for it ("Trigger Event Message
//! Structure Summary", SCF documentation 583/31439, and the trigger's own page): every member is
//! read as documented, the event serialises back to the same JSON, and members this crate does not
//! know are tolerated.
#![allow(clippy::unwrap_used)] // Tests fail by panicking.

use scf_events::{
    ApiGatewayRequest, ApiGatewayResponse, CkafkaEvent, ClsEvent, CmqTags, CmqTopicEvent, CosEvent, QueryValue,
    TimerEvent,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Decodes `text` as `T` and checks that `T` serialises back to exactly the same JSON.
fn round_trip<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let event: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("the documented example decodes: {e}"));
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), original, "round trip");
    event
}

/// Adds `unknownMember` to the objects at `paths` (JSON pointers), as a newer event might.
fn with_unknown_members(text: &str, paths: &[&str]) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap();
    for path in paths {
        let object = value.pointer_mut(path).and_then(Value::as_object_mut).unwrap_or_else(|| panic!("{path}"));
        object.insert("unknownMember".into(), json!({ "nested": [1, "two", null] }));
    }
    value.to_string()
}

/// `T` decodes the same with unknown members at `paths` as without them.
fn tolerates_unknown_members<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str, paths: &[&str]) {
    let plain: T = serde_json::from_str(text).unwrap();
    let extended: T = serde_json::from_str(&with_unknown_members(text, paths))
        .unwrap_or_else(|e| panic!("unknown members are tolerated: {e}"));
    assert_eq!(extended, plain);
}

const TIMER: &str = r#"{
    "Type": "Timer",
    "TriggerName": "EveryDay",
    "Time": "2019-02-21T11:49:00Z",
    "Message": "user define msg body"
}"#;

#[test]
fn timer() {
    let event: TimerEvent = round_trip(TIMER);
    assert_eq!(event.kind, "Timer");
    assert_eq!(event.trigger_name, "EveryDay");
    assert_eq!(event.time, "2019-02-21T11:49:00Z");
    assert_eq!(event.message, "user define msg body");
    tolerates_unknown_members::<TimerEvent>(TIMER, &[""]);
    // What `new` makes is the documented event.
    assert_eq!(TimerEvent::new("EveryDay", "2019-02-21T11:49:00Z", "user define msg body"), event);
}

const API_GATEWAY_REQUEST: &str = r#"{
    "requestContext": {
        "serviceId": "service-f94sy04v",
        "path": "/test/{path}",
        "httpMethod": "POST",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {
            "secretId": "abdcdxxxxxxxsdfs"
        },
        "sourceIp": "10.0.2.14",
        "stage": "release"
    },
    "headers": {
        "Accept-Language": "en-US,en,cn",
        "Accept": "text/html,application/xml,application/json",
        "Host": "service-3ei3tii4-251000691.ap-guangzhou.apigateway.myqloud.com",
        "User-Agent": "User Agent String"
    },
    "body": "{\"test\":\"body\"}",
    "pathParameters": {
        "path": "value"
    },
    "queryStringParameters": {
        "foo": "bar"
    },
    "headerParameters": {
        "Refer": "10.0.2.14"
    },
    "stageVariables": {
        "stage": "release"
    },
    "path": "/test/value",
    "queryString": {
        "foo": "bar",
        "bob": "alice"
    },
    "httpMethod": "POST"
}"#;

fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn api_gateway_request() {
    let request: ApiGatewayRequest = round_trip(API_GATEWAY_REQUEST);
    let context = &request.request_context;
    assert_eq!(context.service_id, "service-f94sy04v");
    assert_eq!(context.path, "/test/{path}");
    assert_eq!(context.http_method, "POST");
    assert_eq!(context.request_id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    assert_eq!(context.identity, map(&[("secretId", "abdcdxxxxxxxsdfs")]));
    assert_eq!(context.source_ip, "10.0.2.14");
    assert_eq!(context.stage, "release");
    assert_eq!(
        request.headers,
        map(&[
            ("Accept-Language", "en-US,en,cn"),
            ("Accept", "text/html,application/xml,application/json"),
            ("Host", "service-3ei3tii4-251000691.ap-guangzhou.apigateway.myqloud.com"),
            ("User-Agent", "User Agent String"),
        ])
    );
    assert_eq!(request.header("user-agent"), Some("User Agent String"));
    assert_eq!(request.body.as_deref(), Some(r#"{"test":"body"}"#));
    assert_eq!(request.body_json::<Value>().unwrap().unwrap(), json!({"test": "body"}));
    assert_eq!(request.is_base64_encoded, None);
    assert_eq!(request.path_parameters, map(&[("path", "value")]));
    assert_eq!(request.query_string_parameters, map(&[("foo", "bar")]));
    assert_eq!(request.header_parameters, map(&[("Refer", "10.0.2.14")]));
    assert_eq!(request.stage_variables, map(&[("stage", "release")]));
    assert_eq!(request.path, "/test/value");
    assert_eq!(request.query_string.len(), 2);
    assert_eq!(request.query("foo"), Some("bar"));
    assert_eq!(request.query("bob"), Some("alice"));
    assert_eq!(request.http_method, "POST");
    tolerates_unknown_members::<ApiGatewayRequest>(API_GATEWAY_REQUEST, &["", "/requestContext"]);
}

#[test]
fn api_gateway_request_without_a_body_and_with_a_repeated_parameter() {
    let text = r#"{
        "requestContext": {"serviceId": "service-f94sy04v", "path": "/test", "httpMethod": "GET",
                           "identity": {}, "sourceIp": "10.0.2.14", "stage": "test"},
        "headers": {}, "path": "/test", "queryString": {"tag": ["a", "b"]}, "httpMethod": "GET"
    }"#;
    let request: ApiGatewayRequest = serde_json::from_str(text).unwrap();
    assert_eq!(request.body, None);
    assert!(request.body_json::<Value>().is_none());
    assert_eq!(request.query_string["tag"], QueryValue::Many(vec!["a".into(), "b".into()]));
    assert_eq!(request.query("tag"), Some("a"));
    assert!(request.path_parameters.is_empty() && request.stage_variables.is_empty());
}

const API_GATEWAY_RESPONSE: &str = r#"{
    "isBase64Encoded": false,
    "statusCode": 200,
    "headers": {"Content-Type": "text/html"},
    "body": "<html><body><h1>Heading</h1><p>Paragraph.</p></body></html>"
}"#;

#[test]
fn api_gateway_integration_response() {
    let response: ApiGatewayResponse = round_trip(API_GATEWAY_RESPONSE);
    assert!(!response.is_base64_encoded);
    assert_eq!(response.status_code, 200);
    assert_eq!(response.headers, map(&[("Content-Type", "text/html")]));
    assert_eq!(response.body, "<html><body><h1>Heading</h1><p>Paragraph.</p></body></html>");
    // The same response, built.
    let built = ApiGatewayResponse::new(200, "<html><body><h1>Heading</h1><p>Paragraph.</p></body></html>")
        .header("Content-Type", "text/html");
    assert_eq!(built, response);
    assert_eq!(serde_json::to_value(&built).unwrap(), serde_json::from_str::<Value>(API_GATEWAY_RESPONSE).unwrap());
    let json = ApiGatewayResponse::json(404, &json!({"error": "no such item"})).unwrap();
    assert_eq!(
        serde_json::to_value(&json).unwrap(),
        json!({"isBase64Encoded": false, "statusCode": 404, "headers": {"Content-Type": "application/json"},
               "body": "{\"error\":\"no such item\"}"})
    );
    assert!(ApiGatewayResponse::base64(200, "aGk=").is_base64_encoded);
    tolerates_unknown_members::<ApiGatewayResponse>(API_GATEWAY_RESPONSE, &[""]);
}

const COS: &str = r#"{
    "Records": [{
        "cos": {
            "cosSchemaVersion": "1.0",
            "cosObject": {
                "url": "http://testpic-1253970026.cos.ap-chengdu.myqcloud.com/testfile",
                "meta": {
                    "x-cos-request-id": "NWMxOWY4MGFfMjViMjU4NjRfMTUyMV8yNzhhZjM=",
                    "Content-Type": ""
                },
                "vid": "",
                "key": "/1253970026/testpic/testfile",
                "size": 1029
            },
            "cosBucket": {
                "region": "cd",
                "name": "testpic",
                "appid": "1253970026"
            },
            "cosNotificationId": "unkown"
        },
        "event": {
            "eventName": "cos:ObjectCreated:*",
            "eventVersion": "1.0",
            "eventTime": 1545205770,
            "eventSource": "qcs::cos",
            "requestParameters": {
                "requestSourceIP": "192.168.15.101",
                "requestHeaders": {
                    "Authorization": "q-sign-algorithm=sha1&q-ak=AKIDxxxxxxxxxxxxxxxx&q-sign-time=1545205709;1545215769&q-key-time=1545205709;1545215769&q-header-list=host;x-cos-storage-class&q-url-param-list=&q-signature=xxxxxxxxxxxxxxxx"
                }
            },
            "eventQueue": "qcs:0:scf:cd:appid/1253970026:default.printevent.$LATEST",
            "reservedInfo": "",
            "reqid": 179398952
        }
    }]
}"#;

#[test]
fn cos() {
    let event: CosEvent = round_trip(COS);
    assert_eq!(event.records.len(), 1);
    let cos = &event.records[0].cos;
    assert_eq!(cos.cos_schema_version, "1.0");
    assert_eq!(cos.cos_object.url, "http://testpic-1253970026.cos.ap-chengdu.myqcloud.com/testfile");
    assert_eq!(
        cos.cos_object.meta,
        map(&[("x-cos-request-id", "NWMxOWY4MGFfMjViMjU4NjRfMTUyMV8yNzhhZjM="), ("Content-Type", "")])
    );
    assert_eq!(cos.cos_object.vid, "");
    assert_eq!(cos.cos_object.key, "/1253970026/testpic/testfile");
    assert_eq!(cos.cos_object.object_key(), "testfile");
    assert_eq!(cos.cos_object.size, 1029);
    assert_eq!(cos.cos_bucket.region, "cd");
    assert_eq!(cos.cos_bucket.name, "testpic");
    assert_eq!(cos.cos_bucket.appid, "1253970026");
    assert_eq!(cos.cos_notification_id, "unkown");
    let info = &event.records[0].event;
    assert_eq!(info.event_name, "cos:ObjectCreated:*");
    assert_eq!(info.event_version, "1.0");
    assert_eq!(info.event_time, 1_545_205_770);
    assert_eq!(info.event_source, "qcs::cos");
    assert_eq!(info.request_parameters.request_source_ip, "192.168.15.101");
    assert_eq!(info.request_parameters.request_headers.len(), 1);
    assert!(info.request_parameters.request_headers["Authorization"].starts_with("q-sign-algorithm=sha1&q-ak="));
    assert_eq!(info.event_queue, "qcs:0:scf:cd:appid/1253970026:default.printevent.$LATEST");
    assert_eq!(info.reserved_info, "");
    assert_eq!(info.reqid, 179_398_952);
    tolerates_unknown_members::<CosEvent>(
        COS,
        &[
            "",
            "/Records/0",
            "/Records/0/cos",
            "/Records/0/cos/cosObject",
            "/Records/0/cos/cosBucket",
            "/Records/0/event",
            "/Records/0/event/requestParameters",
        ],
    );
}

#[test]
fn cos_object_keys() {
    let mut event = CosEvent::default();
    event.records.push(Default::default());
    let object = &mut event.records[0].cos.cos_object;
    object.key = "/1253970026/testpic/photos/2024/cat.png".into();
    assert_eq!(object.object_key(), "photos/2024/cat.png");
    object.key = "odd".into();
    assert_eq!(object.object_key(), "odd");
}

const CMQ_TOPIC: &str = r#"{
    "Records": [
        {
            "CMQ": {
                "type": "topic",
                "topicOwner": 120000000,
                "topicName": "testtopic",
                "subscriptionName": "xxxxxx",
                "publishTime": "1970-01-01T00:00:00.000Z",
                "msgId": "123345346",
                "requestId": "123345346",
                "msgBody": "Hello from CMQ!",
                "msgTag": "tag1,tag2"
            }
        }
    ]
}"#;

#[test]
fn cmq_topic() {
    let event: CmqTopicEvent = round_trip(CMQ_TOPIC);
    assert_eq!(event.records.len(), 1);
    let message = &event.records[0].cmq;
    assert_eq!(message.kind, "topic");
    assert_eq!(message.topic_owner, 120_000_000);
    assert_eq!(message.topic_name, "testtopic");
    assert_eq!(message.subscription_name, "xxxxxx");
    assert_eq!(message.publish_time, "1970-01-01T00:00:00.000Z");
    assert_eq!(message.msg_id, "123345346");
    assert_eq!(message.request_id, "123345346");
    assert_eq!(message.msg_body, "Hello from CMQ!");
    assert_eq!(message.msg_tag, CmqTags::Joined("tag1,tag2".into()));
    assert_eq!(message.msg_tag.tags(), ["tag1", "tag2"]);
    tolerates_unknown_members::<CmqTopicEvent>(CMQ_TOPIC, &["", "/Records/0", "/Records/0/CMQ"]);

    // Other pages of the documentation show the tags as a list.
    let listed = CMQ_TOPIC.replace(r#""tag1,tag2""#, r#"["tag1", "tag2"]"#);
    let event: CmqTopicEvent = round_trip(&listed);
    assert_eq!(event.records[0].cmq.msg_tag, CmqTags::List(vec!["tag1".into(), "tag2".into()]));
    assert_eq!(event.records[0].cmq.msg_tag.tags(), ["tag1", "tag2"]);
}

const CKAFKA: &str = r#"{
    "Records": [
        {
            "Ckafka": {
                "topic": "test-topic",
                "partition": 1,
                "offset": 36,
                "msgKey": "None",
                "msgBody": "Hello from Ckafka!"
            }
        },
        {
            "Ckafka": {
                "topic": "test-topic",
                "partition": 1,
                "offset": 37,
                "msgKey": "None",
                "msgBody": "Hello from Ckafka again!"
            }
        }
    ]
}"#;

#[test]
fn ckafka() {
    let event: CkafkaEvent = round_trip(CKAFKA);
    let messages: Vec<_> = event.records.iter().map(|r| &r.ckafka).collect();
    assert_eq!(messages.len(), 2);
    for (message, (offset, body)) in messages.iter().zip([(36, "Hello from Ckafka!"), (37, "Hello from Ckafka again!")])
    {
        assert_eq!(message.topic, "test-topic");
        assert_eq!(message.partition, 1);
        assert_eq!(message.offset, offset);
        assert_eq!(message.msg_key.as_deref(), Some("None"));
        assert_eq!(message.msg_body, body);
    }
    tolerates_unknown_members::<CkafkaEvent>(CKAFKA, &["", "/Records/0", "/Records/1/Ckafka"]);
    // A message without a key.
    let keyless: CkafkaEvent =
        serde_json::from_str(&CKAFKA.replace(r#""msgKey": "None","#, r#""msgKey": null,"#)).unwrap();
    assert_eq!(keyless.records[0].ckafka.msg_key, None);
}

/// The logs of the CLS page's example once decoded (583/38845).
const CLS_LOGS: &str = r#"{
    "topic_id": "xxxx-xx-xx-xx-yyyyyyyy",
    "topic_name": "testname",
    "records": [{
        "timestamp": "1605578090000000",
        "content": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    }, {
        "timestamp": "1605578090000000",
        "content": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    }]
}"#;

#[cfg(feature = "cls")]
fn gzip_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())
}

#[cfg(feature = "cls")]
#[test]
fn cls() {
    use scf_events::ClsLogs;

    let text = format!(r#"{{"clslogs": {{"data": "{}"}}}}"#, gzip_base64(CLS_LOGS.as_bytes()));
    let event: ClsEvent = round_trip(&text);
    let logs = event.decode().unwrap();
    assert_eq!(logs.topic_id, "xxxx-xx-xx-xx-yyyyyyyy");
    assert_eq!(logs.topic_name, "testname");
    assert_eq!(logs.records.len(), 2);
    for record in &logs.records {
        assert_eq!(record.timestamp, "1605578090000000");
        assert_eq!(record.content, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    let decoded: ClsLogs = round_trip(CLS_LOGS);
    assert_eq!(decoded, logs);
    tolerates_unknown_members::<ClsEvent>(&text, &["", "/clslogs"]);
    tolerates_unknown_members::<ClsLogs>(CLS_LOGS, &["", "/records/0"]);

    // The page's own sample `data` is base64 of plain JSON: taken as well.
    use base64::Engine as _;
    let mut plain = ClsEvent::default();
    plain.clslogs.data = base64::engine::general_purpose::STANDARD.encode(CLS_LOGS);
    assert_eq!(plain.decode().unwrap(), logs);
}

#[cfg(feature = "cls")]
#[test]
fn cls_decode_errors_say_what_is_wrong() {
    let mut event = ClsEvent::default();
    event.clslogs.data = "not base64!".into();
    assert!(event.decode().unwrap_err().to_string().starts_with("clslogs.data is not base64"));
    event.clslogs.data = gzip_base64(b"[1, 2]");
    assert!(event.decode().unwrap_err().to_string().starts_with("clslogs.data does not hold the logs' JSON"));
    let mut truncated = gzip_base64(CLS_LOGS.as_bytes());
    truncated.truncate(24);
    event.clslogs.data = truncated;
    assert!(event.decode().is_err());
}
