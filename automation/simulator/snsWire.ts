/**
 * SNS Publish on the wire, for httpServer.ts: the query protocol @aws-sdk/client-sns speaks (its
 * `AwsQueryProtocol`; botocore's `sns/2010-03-31` model: `protocol: query`): `POST /`, a form-encoded body with
 * `Action=Publish&Version=2010-03-31`, `TopicArn`, `Message`, `Subject` and the message attributes flattened as
 * `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`; the answer is XML
 * (`PublishResponse/PublishResult/MessageId`), an error `ErrorResponse/Error/{Type,Code,Message}`. The in-process
 * stand-in (snsApi.ts) answers the command, so what the simulated account records is the same either way.
 */
import { PublishCommand } from "@aws-sdk/client-sns";
import type { SimulatedClient } from "./sdkDispatch";

/** An HTTP answer in the query protocol's XML. */
export interface XmlReply {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: Buffer;
    readonly errorCode?: string;
}

/** The query protocol's namespace of SNS's answers. */
const SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";

/** Answers `Action=Publish` (already parsed from the form) with `sns`. */
export async function snsPublish(sns: SimulatedClient, form: URLSearchParams): Promise<XmlReply> {
    const attributes: Record<string, { DataType: string; StringValue?: string }> = {};
    for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
        const at = `MessageAttributes.entry.${n}`;
        attributes[form.get(`${at}.Name`)!] = {
            DataType: form.get(`${at}.Value.DataType`) ?? "String",
            ...(form.has(`${at}.Value.StringValue`) ? { StringValue: form.get(`${at}.Value.StringValue`)! } : {}),
        };
    }
    try {
        const out = (await sns.send(
            new PublishCommand({
                TopicArn: form.get("TopicArn") ?? undefined,
                Message: form.get("Message") ?? undefined,
                ...(form.has("Subject") ? { Subject: form.get("Subject")! } : {}),
                ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
            }),
        )) as { MessageId?: string };
        return xml(
            200,
            `<PublishResponse xmlns="${SNS_XMLNS}"><PublishResult><MessageId>${escapeXml(out.MessageId ?? "")}</MessageId></PublishResult>` +
                `<ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></PublishResponse>`,
        );
    } catch (err) {
        return xmlError(err);
    }
}

/** An error in the query protocol: the code, `Sender` or `Receiver`, the message; the status the error carries. */
export function xmlError(err: unknown): XmlReply {
    const e = err as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
    const code = e?.name && e.name !== "Error" ? e.name : "InternalError";
    const server = e?.$fault === "server" || code === "InternalError";
    const status = e?.$metadata?.httpStatusCode ?? (server ? 500 : 400);
    return {
        ...xml(
            status,
            `<ErrorResponse><Error><Type>${server ? "Receiver" : "Sender"}</Type><Code>${escapeXml(code)}</Code>` +
                `<Message>${escapeXml(e?.message ?? String(err))}</Message></Error><RequestId>sim</RequestId></ErrorResponse>`,
        ),
        errorCode: code,
    };
}

function xml(status: number, text: string): XmlReply {
    return { status, headers: { "content-type": "text/xml" }, body: Buffer.from(text) };
}

/** Text made safe inside XML. */
export function escapeXml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
