// The field app's words in English and Arabic; names the operations room already words (report
// kinds, aircraft, roles, alert levels) are taken from its dictionary.
import { get, set } from "../room/state.js";
import { fill, t as roomWord, tt } from "../room/i18n.js";

export { fill, tt };

const WORDS = {
  en: {
    title: "hanano field",
    online: "online", offline: "offline",
    sign_in: "Sign in", token_label: "Your token (from your coordinator)",
    token_hint: "The token binds this phone to your role. Your coordinator can revoke it.",
    sign_in_failed: "This token is not known or has been revoked.",
    need_network: "Signing in needs the network once.",
    wrong_role: "This app is for reporters, spotters and team leaders; this token is for: {role}.",
    revoked_title: "Signed out — token revoked",
    revoked_text: "Your coordinator revoked this phone's token. What you entered is kept on the phone and will be sent after you sign in again.",
    sign_out: "Sign out", signed_in_as: "Signed in as {role}",
    team_of: "team {team}", post_of: "post {post}",
    outbox: "Sent from this phone",
    queued: "queued", sent: "sent", acknowledged: "acknowledged", refused: "refused",
    log_index: "log index {n}",
    report_title: "Report a strike", kind: "What happened",
    where: "Where", use_gps: "Use my position (GPS)", gps_got: "Position ±{m} m",
    gps_failed: "No position: choose the neighbourhood.",
    gps_wait: "Finding your position…",
    neighbourhood: "Neighbourhood", choose: "— choose —",
    trapped_n: "Trapped", casualties_n: "Casualties", less: "fewer", more: "more",
    details: "Details (optional)", photo: "Photo (optional)",
    send_report: "Send report", need_place: "Give your position or choose a neighbourhood.",
    report_item: "Report: {kind}", sighting_item: "Sighting: {aircraft} {dir}",
    role: { reporter: "reporter", spotter: "spotter", team_leader: "team leader" },
    photo_none: "No photo chosen", photo_pick: "Take or choose a photo",
    photo_item: "Photo for report", step_item: "Task: {state}",
    checkin_item: "Check-in with position", position_item: "Team position",
    sighting_title: "Aircraft seen", step_aircraft: "1. What is it?",
    step_dir: "2. Where is it, from you?", step_count: "3. How many? (sends)",
    use_compass: "Point the phone and tap", circling: "Circling",
    no_post: "This token names no post: your GPS position is used.",
    count_text: "count {n}",
    dirs: ["N", "NE", "E", "SE", "S", "SW", "W", "NW"],
    again: "Start again",
    alerts_here: "Alerts where you are", alert_line: "{level}: {zones}",
    task_title: "Your team's task", no_task: "No task for your team now.",
    checkin: "Check in (all well)", send_position: "Send our position",
    pullback: "PULL BACK NOW", pullback_ack: "Acknowledge: we are pulling back",
    worksite_label: "Worksite ID: sector letter and number, e.g.",
    worksite_title: "Worksite", record_worksite: "Record worksite", note_optional: "Note (optional)",
    worksite_id_bad: "Worksite ID: a sector letter, a dash and a number, e.g. {example}.",
    category_needed: "Choose the triage category.",
    victim_title: "Victim", victim_status_label: "Status", record_victim: "Record victim",
    status_needed: "Choose the victim's status.",
    victim_note_hint: "Kept sealed, like a name: only the operations room's dispatchers read it.",
    worksite_item: "Worksite {worksite}", victim_item: "Victim: {status}",
    victim_at_item: "Victim at {worksite}: {status}",
  },
  ar: {
    title: "هنانو الميداني",
    online: "متصل", offline: "غير متصل",
    sign_in: "تسجيل الدخول", token_label: "رمزك (من منسق العمليات)",
    token_hint: "الرمز يربط هذا الهاتف بدورك. يستطيع المنسق إلغاءه.",
    sign_in_failed: "هذا الرمز غير معروف أو أُلغي.",
    need_network: "تسجيل الدخول يحتاج إلى الشبكة مرة واحدة.",
    wrong_role: "هذا التطبيق للمبلّغين والراصدين وقادة الفرق؛ هذا الرمز لدور: {role}.",
    revoked_title: "خرجت — أُلغي الرمز",
    revoked_text: "ألغى المنسق رمز هذا الهاتف. ما أدخلته محفوظ على الهاتف وسيُرسل بعد أن تسجّل الدخول من جديد.",
    sign_out: "تسجيل الخروج", signed_in_as: "الدور: {role}",
    team_of: "الفريق {team}", post_of: "النقطة {post}",
    outbox: "ما أُرسل من هذا الهاتف",
    queued: "في الانتظار", sent: "أُرسل", acknowledged: "وصل", refused: "رُفض",
    log_index: "رقم السجل {n}",
    report_title: "بلاغ عن ضربة", kind: "ماذا حدث",
    where: "المكان", use_gps: "موقعي (GPS)", gps_got: "الموقع ±{m} م",
    gps_failed: "لا موقع: اختر الحي.",
    gps_wait: "جارٍ تحديد موقعك…",
    neighbourhood: "الحي", choose: "— اختر —",
    trapped_n: "عالقون", casualties_n: "إصابات", less: "أقل", more: "أكثر",
    details: "تفاصيل (اختياري)", photo: "صورة (اختياري)",
    send_report: "أرسل البلاغ", need_place: "حدّد موقعك أو اختر الحي.",
    report_item: "بلاغ: {kind}", sighting_item: "رصد: {aircraft} {dir}",
    role: { reporter: "مُبلّغ", spotter: "راصد", team_leader: "قائد فريق" },
    photo_none: "لم تُختر صورة", photo_pick: "التقط صورة أو اخترها",
    photo_item: "صورة للبلاغ", step_item: "المهمة: {state}",
    checkin_item: "تفقد مع الموقع", position_item: "موقع الفريق",
    sighting_title: "رصد طائرة", step_aircraft: "١. ما هي؟",
    step_dir: "٢. أين هي منك؟", step_count: "٣. كم عددها؟ (يُرسل)",
    use_compass: "وجّه الهاتف واضغط", circling: "تحوم",
    no_post: "هذا الرمز لا يحدد نقطة رصد: يُستخدم موقعك من GPS.",
    count_text: "العدد {n}",
    dirs: ["شمال", "شمال شرق", "شرق", "جنوب شرق", "جنوب", "جنوب غرب", "غرب", "شمال غرب"],
    again: "من جديد",
    alerts_here: "إنذارات حيث أنت", alert_line: "{level}: {zones}",
    task_title: "مهمة فريقك", no_task: "لا مهمة لفريقك الآن.",
    checkin: "تسجيل حضور (الجميع بخير)", send_position: "أرسل موقعنا",
    pullback: "انسحبوا الآن", pullback_ack: "تأكيد: نحن ننسحب",
    worksite_label: "رمز موقع العمل: حرف القطاع ورقم، مثل",
    worksite_title: "موقع عمل", record_worksite: "سجّل موقع العمل", note_optional: "ملاحظة (اختياري)",
    worksite_id_bad: "رمز موقع العمل: حرف القطاع ثم شرطة ثم رقم، مثل {example}.",
    category_needed: "اختر فئة الفرز.",
    victim_title: "ضحية", victim_status_label: "الحالة", record_victim: "سجّل الضحية",
    status_needed: "اختر حالة الضحية.",
    victim_note_hint: "تُحفظ مختومة كالاسم: لا يقرؤها إلا موزّعو غرفة العمليات.",
    worksite_item: "موقع العمل {worksite}", victim_item: "ضحية: {status}",
    victim_at_item: "ضحية في {worksite}: {status}",
  },
};

export const lang = () => get("lang");

export const t = (key) => WORDS[lang()][key] ?? WORDS.en[key] ?? roomWord(key);

// A word in both languages, for what must be read whichever the phone is set to.
export const both = (key) => ({ en: WORDS.en[key], ar: WORDS.ar[key] });

export const group = (name, key) => (WORDS[lang()][name] || {})[key] ?? WORDS.en[name]?.[key] ?? key;

export function setLang(value) {
  localStorage.setItem("hanano.lang", value);
  set({ lang: value });
  document.documentElement.lang = value;
  document.documentElement.dir = value === "ar" ? "rtl" : "ltr";
}
