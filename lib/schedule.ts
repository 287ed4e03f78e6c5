/**
 * EventBridge Scheduler expressions for recurring jobs: `rate(<value> <unit>)` and
 * `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)`, checked the way the
 * service checks them, so a bad one is refused before anything is declared. One-time `at(…)`
 * schedules are not jobs of a process type and are refused too.
 */

const cronField = {
    minutes: { chars: /^[0-9,\-*/]+$/, max: 59, min: 0 },
    hours: { chars: /^[0-9,\-*/]+$/, max: 23, min: 0 },
    dayOfMonth: { chars: /^([0-9,\-*/?LW]+)$/, max: 31, min: 1 },
    month: { chars: /^([0-9,\-*/]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i, max: 12, min: 1 },
    dayOfWeek: { chars: /^([0-9,\-*/?L#]|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i, max: 7, min: 1 },
    year: { chars: /^[0-9,\-*/]+$/, max: 2199, min: 1970 },
} as const;

/** What is wrong with a schedule expression, or undefined when EventBridge Scheduler accepts it. */
export function scheduleExpressionProblem(expression: string): string | undefined {
    const rate = /^rate\((.*)\)$/.exec(expression);
    if (rate) {
        const m = /^([1-9][0-9]*) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]);
        if (!m) return "expected rate(<positive whole number> minute(s)|hour(s)|day(s)), such as rate(15 minutes)";
        const singular = !m[2].endsWith("s");
        if ((m[1] === "1") !== singular) return `expected ${m[1] === "1" ? "a singular unit with 1 (rate(1 hour))" : "a plural unit with a value above 1 (rate(2 hours))"}`;
        return undefined;
    }
    const cron = /^cron\((.*)\)$/.exec(expression);
    if (cron) {
        const fields = cron[1].split(" ");
        const names = Object.keys(cronField) as (keyof typeof cronField)[];
        if (fields.length !== names.length || fields.some((f) => f === "")) {
            return "expected cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>): six fields separated by single spaces, such as cron(0 3 * * ? *)";
        }
        for (const [i, name] of names.entries()) {
            const { chars, min, max } = cronField[name];
            if (!chars.test(fields[i])) return `expected a valid ${name} field in cron(…), got ${JSON.stringify(fields[i])}`;
            for (const n of fields[i].match(/\d+/g) ?? []) {
                // After a slash (an increment) or a # (nth weekday) numbers are counts, not values.
                const counted = new RegExp(`[/#]${n}(?!\\d)`).test(fields[i]);
                if (!counted && (Number(n) < min || Number(n) > max)) return `expected ${name} values from ${min} to ${max} in cron(…), got ${n}`;
            }
        }
        const [dom, dow] = [fields[2], fields[4]];
        if ((dom === "?") === (dow === "?")) return "expected ? in exactly one of day-of-month and day-of-week (cron(0 3 * * ? *) or cron(0 3 ? * MON *))";
        return undefined;
    }
    return "expected a recurring schedule: cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>) or rate(<value> <unit>), such as rate(1 hour) or cron(0 3 * * ? *)";
}
