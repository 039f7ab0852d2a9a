/** The schema of where the stack's functions run (`vpc`): a new VPC, an existing one, or none. */
import { z } from "zod";
import { integerBetween } from "./numbers";

/** How many NAT gateways a new VPC gets, as the config spells it, and awsx's name for each. */
export const NAT_STRATEGIES = { none: "None", single: "Single", onePerAz: "OnePerAz" } as const;

/**
 * Where the stack's functions run: a new VPC (awsx.ec2.Vpc: private subnets in `availabilityZones` zones, NAT
 * per `natGateways`) or an existing one by `vpcId` and `subnetIds`. Omit to run outside any VPC.
 */
const cidr = z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, { message: "must be a CIDR such as 10.0.0.0/16" });
export const vpcSchema = z
    .object({
        /** A new VPC: how many availability zones get a private (and a public) subnet. */
        availabilityZones: integerBetween(1, 6).optional(),
        /** A new VPC: NAT gateways for the private subnets' way out. */
        natGateways: z
            .enum(Object.keys(NAT_STRATEGIES) as [keyof typeof NAT_STRATEGIES], {
                message: `must be one of ${Object.keys(NAT_STRATEGIES)
                    .map((k) => `"${k}"`)
                    .join(", ")}`,
            })
            .optional(),
        /** An existing VPC, by id; needs `subnetIds`. */
        vpcId: z
            .string()
            .regex(/^vpc-[0-9a-f]+$/, { message: 'must be a VPC id such as "vpc-0abc123"' })
            .optional(),
        /** The existing VPC's private subnets the functions run in. */
        subnetIds: z
            .array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: 'must be a subnet id such as "subnet-0abc123"' }))
            .min(1, { message: "must list at least one subnet" })
            .optional(),
        /** CIDRs allowed into the functions' security group (all TCP); empty (the default) for egress only. */
        ingressCidrs: z.array(cidr).default([]),
    })
    .strict()
    .superRefine((vpc, ctx) => {
        if (vpc.vpcId !== undefined && vpc.subnetIds === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["subnetIds"],
                message: "is required with `vpcId`: the private subnets the functions run in",
            });
        }
        if (vpc.vpcId === undefined && vpc.subnetIds !== undefined) {
            ctx.addIssue({ code: "custom", path: ["vpcId"], message: "is required with `subnetIds`: the VPC the subnets belong to" });
        }
        for (const key of ["availabilityZones", "natGateways"] as const) {
            if (vpc.vpcId !== undefined && vpc[key] !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: "applies to a new VPC only; an existing one (`vpcId`) keeps its own",
                });
            }
        }
    })
    .transform((vpc) =>
        vpc.vpcId !== undefined
            ? { kind: "existing" as const, vpcId: vpc.vpcId, subnetIds: vpc.subnetIds ?? [], ingressCidrs: vpc.ingressCidrs }
            : {
                  kind: "new" as const,
                  availabilityZones: vpc.availabilityZones ?? 2,
                  natGateways: vpc.natGateways ?? ("single" as const),
                  ingressCidrs: vpc.ingressCidrs,
              },
    );
