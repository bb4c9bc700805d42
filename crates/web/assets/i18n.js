// Interface text in the three languages of the mission's reports. Data (incident ids, place and
// agreement names) stays as the server gives it; only the interface is translated.

export const LANGS = { en: 'English', uk: 'Українська', ru: 'Русский' };

const T = {
  en: {
    in_window: 'inside a local ceasefire window ({purpose}, {from}–{to} UTC)',
    field_map: 'Map (works offline)', field_map_label: 'Your position, the line of contact, places nearby and the bearing as typed', use_compass: 'Take the bearing from the compass', pick_place: 'Tap the map where it was (seen directly)', picked_at: 'Place picked: {lon}, {lat}', no_compass: 'This device gives no compass heading: type the bearing.', map_no_position: 'No position yet',
    what_report: 'What are you reporting?', an_observation: 'An observation (what was seen or heard)', save_record: 'Save record', r_kind: 'How was the mission restricted?', access: 'Access', present_serials: 'Serial numbers present, one a line', at_least_one: 'at least one person', c_denial: 'Denied passage', c_delay: 'Delayed', c_conditional: 'Conditional access', c_gnss_interference: 'GNSS interference', c_fire_at_uav: 'Fire at a UAV', c_granted: 'Granted', c_partial: 'Partial', c_denied: 'Denied', c_reported: 'Reported', c_corroborated: 'Corroborated', c_confirmed: 'Confirmed by the mission', c_shelling: 'Shelling', c_small_arms: 'Small arms', c_mine: 'Mine', c_uxo: 'Unexploded ordnance', c_other: 'Other', c_residential: 'Residential', c_water: 'Water', c_power: 'Power', c_gas: 'Gas', c_school: 'School', c_medical: 'Medical', c_anti_personnel: 'Anti-personnel mine', c_anti_tank: 'Anti-tank mine', c_unknown: 'Unknown',
    vessels: 'At sea (AIS)', vessels_shown: '{n} vessels, {listed} listed; {events} behaviours found', mmsi: 'MMSI', flag: 'Flag (by MMSI)', last_heard: 'Last heard', speed_kn: 'Speed, kn', listed: 'Sanctions list', other_vessel: 'With', until: 'Until', ongoing: 'ongoing', ve_gap: 'AIS gap (went dark)', ve_encounter: 'Encounter at sea', ve_loitering: 'Loitering', ve_spoofing: 'False positions', ve_identity_change: 'Identity change', ve_port_call: 'Port call', ve_listed: 'Listed vessel', records: 'The mission’s other records', records_shown: '{n} records on the map', rt_site: 'Storage sites', rt_restriction: 'Restrictions of movement', rt_casualty: 'Civilian casualties', rt_damage: 'Damage', rt_hazard: 'Mines and UXO', rt_window: 'Ceasefire windows', rt_inspection: 'Inspections', site_name: 'Site', party_of: 'Party', declared: 'Declared weapons', last_inspected: 'Last inspected', never: 'never', missing: 'Missing at the last inspection', minutes: 'Minutes lost', killed: 'Killed', injured: 'Injured', cause: 'Cause', record_status: 'Status', object: 'Object', hazard: 'Hazard', marked: 'Marked', purpose: 'Purpose', window_hours: 'Hours', record_id: 'Record',
    review: 'Review', status_unreviewed: 'Not reviewed by the analysts yet.', status_confirmed: 'Confirmed by the analysts.', status_rejected: 'Rejected by the analysts as a false alarm.', status_attributed: 'Attributed by the analysts.', decision_confirm: 'Confirm', decision_reject: 'Reject as a false alarm', decision_attribute: 'Attribute to a party', reply_of: 'Reply of {party}', reply_until: '{party} may reply on the record until {time}.', field_text: 'Reply', field_decision: 'Decision', field_party: 'Party', field_basis: 'Basis', reply_send: 'Reply on the record', decide: 'Record the decision', withheld: 'withheld: {names}', redacted: 'Shown as outside the mission sees it: no observer, locations at the centre of a 0.01° cell (0.25° where only the observer’s position places the incident).',
    signed_in_as: 'Signed in as {name}. What you save is sent as this account.', sign_in_to_send: 'Sign in to send what is waiting: it stays on this device until then.', key_registered: 'Registered with the mission as your device key.',
    app: 'Truceline', dashboard: 'Dashboard',
    signin_title: 'Sign in to see the mission’s incidents', account: 'Account', password: 'Password', signin: 'Sign in',
    signin_failed: 'The name or the password is wrong.', field_form: 'Field form', language: 'Language',
    illustrative: 'Illustrative: not an official line or agreement',
    filters: 'Filters', from: 'From', to: 'To', kind: 'Kind', all_kinds: 'All kinds',
    party: 'Attributed party', any_party: 'Any', attributed: 'Attribution', attr_any: 'Attributed or not',
    attr_yes: 'Attributed', attr_no: 'Not attributed', violations_only: 'Violations only',
    time: 'Shown up to', play: 'Play', pause: 'Pause', reset: 'Reset filters',
    shown: { one: '{n} incident shown of {total}', other: '{n} incidents shown of {total}' }, live: 'Live', offline: 'Connection lost, retrying', degraded: 'The server is degraded: what is shown may not be current.', lagging: 'Field offices are behind: what is shown lacks what they hold.',
    loading: 'Loading…', report: "Day's report", report_title: 'Daily report for the mission day that holds {date}',
    incidents: 'Incidents', list_hint: 'Newest first; Enter opens one.', close: 'Close',
    incident: 'Incident', gone: 'This incident has since been merged into another or withdrawn; the map is updated.', when: 'Time', where: 'Location', ellipse: '95 % error ellipse',
    ellipse_v: '{major} × {minor} m, azimuth {az}°',
    ellipse_none: 'none: {basis}', basis_fix: 'located by a fix', basis_direct: 'located directly',
    basis_wedge: 'one bearing with a distance range: somewhere in that wedge', basis_observer_only: 'not located (a lone bearing without a distance, or none): the location shown is the observer’s, and outside the mission only a 0.25° cell',
    basis_line: 'one bearing without a distance: somewhere along that line', count: 'Events', weapon: 'Weapon', control: 'Ground held by',
    attribution: 'Attribution', unattributed: 'not attributed', confidence: 'confidence', basis: 'Basis',
    violations: 'Violations', none: 'none', observations: 'Observations', log_index: 'log index',
    proof: 'Evidence log', verifying: 'Verifying inclusion proof…',
    verified: 'Verified: {n} of {total} observations are in the signed log (checkpoint size {size}, key {key})',
    cosigned: 'cosigned by {names}', not_cosigned: 'no witness has cosigned this checkpoint yet',
    pending_leaves: '{n} newer than the checkpoint: proved by the next one',
    not_verified: 'Not verified: {reason}', legend: 'Legend', line: 'Line of contact', buffer: 'Buffer zone',
    disengagement: 'Disengagement area', withdrawal: 'Withdrawal line', area_of: 'Area held by {party}',
    cluster: 'Cluster', border: 'International border (UN GA res. 68/262)', oblast: 'Oblast boundary',
    map_label: 'Map of incidents along the line of contact', layers: 'Layers',
    k_explosion: 'Explosion', k_projectile: 'Projectile', k_muzzle_flash: 'Muzzle flash', k_illumination: 'Illumination flare',
    k_burst: 'Burst', k_shot: 'Shot', k_weapon: 'Weapon seen', k_movement: 'Movement', k_restriction: 'Restriction of movement',
    k_casualty: 'Casualty', k_damage: 'Damage', k_mine: 'Mine', k_other: 'Other',
    s_impact: 'impact', s_airburst: 'airburst', s_outgoing: 'outgoing', s_undetermined: 'undetermined',
    // Field form
    form_title: 'New observation', observer: 'Observer id', source: 'Source', subtype: 'Explosion type',
    count_label: 'Number of events', bearing: 'Bearing to the event (degrees from true north)',
    bearing_sigma: 'Bearing error, 1 sigma (degrees)', distance_min: 'Distance, at least (m)', distance_max: 'Distance, at most (m)',
    notes: 'Notes', position: 'Your position', lon: 'Longitude', lat: 'Latitude', use_gps: 'Use this device\u2019s position',
    time_observed: 'Time observed (UTC)', now: 'Now', save: 'Save observation', queued: 'Waiting to send',
    sent: 'Sent', none_queued: 'Nothing waiting.', send_now: 'Send now', online: 'Online', offline_mode: 'Offline: observations are kept on this device',
    saved: 'Saved on this device as {id}', delivered: 'Delivered {n}', refused: 'Refused by the server: {msg}',
    key: 'Device signing key', key_none: 'No key: observations are sent unsigned.', key_make: 'Make a signing key',
    key_have: 'Signs as {name}. Register this verifier key with the mission: {vkey}', gps_failed: 'No position from the device: {msg}',
    required: 'Required', sel_none: '—', install_hint: 'Install this page as an app to use it with no connection.',
    src_patrol: 'Patrol', src_post: 'Observation post', src_camera: 'Camera', src_uav: 'UAV', src_acoustic: 'Acoustic sensor', src_radar: 'Radar',
  },
  uk: {
    in_window: 'у межах місцевого режиму тиші ({purpose}, {from}–{to} UTC)',
    field_map: 'Карта (працює офлайн)', field_map_label: 'Ваша позиція, лінія зіткнення, населені пункти поруч і введений азимут', use_compass: 'Взяти азимут з компаса', pick_place: 'Торкніться карти там, де це було (бачили безпосередньо)', picked_at: 'Обране місце: {lon}, {lat}', no_compass: 'Цей пристрій не дає курсу компаса: введіть азимут.', map_no_position: 'Позиції ще немає',
    what_report: 'Про що ви звітуєте?', an_observation: 'Спостереження (що було видно чи чутно)', save_record: 'Зберегти запис', r_kind: 'Як обмежили місію?', access: 'Доступ', present_serials: 'Наявні серійні номери, по одному в рядку', at_least_one: 'щонайменше одна особа', c_denial: 'Відмова в проїзді', c_delay: 'Затримка', c_conditional: 'Умовний доступ', c_gnss_interference: 'Глушіння GNSS', c_fire_at_uav: 'Обстріл БПЛА', c_granted: 'Надано', c_partial: 'Частковий', c_denied: 'Відмовлено', c_reported: 'Повідомлено', c_corroborated: 'Підтверджено іншим джерелом', c_confirmed: 'Підтверджено місією', c_shelling: 'Обстріл', c_small_arms: 'Стрілецька зброя', c_mine: 'Міна', c_uxo: 'Нерозірваний боєприпас', c_other: 'Інше', c_residential: 'Житло', c_water: 'Водопостачання', c_power: 'Електропостачання', c_gas: 'Газопостачання', c_school: 'Школа', c_medical: 'Медичний заклад', c_anti_personnel: 'Протипіхотна міна', c_anti_tank: 'Протитанкова міна', c_unknown: 'Невідомо',
    vessels: 'У морі (AIS)', vessels_shown: 'Суден: {n}, у списку: {listed}; поведінок виявлено: {events}', mmsi: 'MMSI', flag: 'Прапор (за MMSI)', last_heard: 'Востаннє чути', speed_kn: 'Швидкість, вуз.', listed: 'Санкційний список', other_vessel: 'З', until: 'До', ongoing: 'триває', ve_gap: 'Розрив AIS (вимкнено)', ve_encounter: 'Зустріч у морі', ve_loitering: 'Дрейф', ve_spoofing: 'Хибні позиції', ve_identity_change: 'Зміна ідентичності', ve_port_call: 'Захід у порт', ve_listed: 'Судно у списку', records: 'Інші записи місії', records_shown: 'Записів на карті: {n}', rt_site: 'Місця зберігання', rt_restriction: 'Обмеження пересування', rt_casualty: 'Жертви серед цивільних', rt_damage: 'Пошкодження', rt_hazard: 'Міни та НВБ', rt_window: 'Режими тиші', rt_inspection: 'Перевірки', site_name: 'Місце', party_of: 'Сторона', declared: 'Задекларовано одиниць', last_inspected: 'Остання перевірка', never: 'ніколи', missing: 'Бракувало під час останньої перевірки', minutes: 'Втрачено хвилин', killed: 'Загинули', injured: 'Поранені', cause: 'Причина', record_status: 'Статус', object: 'Обʼєкт', hazard: 'Небезпека', marked: 'Позначено', purpose: 'Мета', window_hours: 'Години', record_id: 'Запис',
    review: 'Розгляд', status_unreviewed: 'Аналітики ще не розглянули.', status_confirmed: 'Підтверджено аналітиками.', status_rejected: 'Відхилено аналітиками як хибна тривога.', status_attributed: 'Приписано аналітиками.', decision_confirm: 'Підтвердити', decision_reject: 'Відхилити як хибну тривогу', decision_attribute: 'Приписати стороні', reply_of: 'Відповідь: {party}', reply_until: '{party} може відповісти офіційно до {time}.', field_text: 'Відповідь', field_decision: 'Рішення', field_party: 'Сторона', field_basis: 'Підстава', reply_send: 'Відповісти офіційно', decide: 'Записати рішення', withheld: 'приховано: {names}', redacted: 'Показано так, як бачать поза місією: без спостерігачів, місця в центрі клітинки 0,01° (0,25°, де подію визначає лише місце спостерігача).',
    signed_in_as: 'Ви увійшли як {name}. Збережене надсилається від цього облікового запису.', sign_in_to_send: 'Увійдіть, щоб надіслати те, що очікує: доти воно зберігається на пристрої.', key_registered: 'Зареєстровано в місії як ключ вашого пристрою.',
    app: 'Truceline', dashboard: 'Панель', field_form: 'Польова форма', language: 'Мова',
    signin_title: 'Увійдіть, щоб бачити інциденти місії', account: 'Обліковий запис', password: 'Пароль', signin: 'Увійти',
    signin_failed: 'Неправильне ім’я або пароль.',
    illustrative: 'Ілюстративно: не офіційна лінія чи угода',
    filters: 'Фільтри', from: 'Від', to: 'До', kind: 'Тип', all_kinds: 'Усі типи',
    party: 'Сторона атрибуції', any_party: 'Будь-яка', attributed: 'Атрибуція', attr_any: 'З атрибуцією чи без',
    attr_yes: 'З атрибуцією', attr_no: 'Без атрибуції', violations_only: 'Лише порушення',
    time: 'Показано до', play: 'Відтворити', pause: 'Пауза', reset: 'Скинути фільтри',
    shown: { one: 'Показано {n} інцидент із {total}', few: 'Показано {n} інциденти із {total}', many: 'Показано {n} інцидентів із {total}', other: 'Показано {n} інциденту із {total}' }, live: 'Наживо', offline: 'Зв’язок втрачено, повторна спроба', degraded: 'Сервер працює з порушеннями: показане може бути неактуальним.', lagging: 'Польові офіси відстають: у показаному бракує того, що зберігається в них.',
    loading: 'Завантаження…', report: 'Звіт за день', report_title: 'Щоденний звіт за добу місії, до якої належить {date}',
    incidents: 'Інциденти', list_hint: 'Спершу найновіші; Enter відкриває.', close: 'Закрити',
    incident: 'Інцидент', gone: 'Цей інцидент відтоді об’єднано з іншим або відкликано; карту оновлено.', when: 'Час', where: 'Місце', ellipse: 'Еліпс похибки 95 %',
    ellipse_v: '{major} × {minor} м, азимут {az}°',
    ellipse_none: 'немає: {basis}', basis_fix: 'визначено засічкою', basis_direct: 'визначено безпосередньо',
    basis_wedge: 'один пеленг із діапазоном відстані: десь у цьому секторі', basis_observer_only: 'не локалізовано (один пеленг без відстані або жодного): показано місце спостерігача, а поза місією лише клітинку 0,25°',
    basis_line: 'один пеленг без відстані: десь уздовж цієї лінії', count: 'Подій', weapon: 'Озброєння', control: 'Територію контролює',
    attribution: 'Атрибуція', unattributed: 'без атрибуції', confidence: 'впевненість', basis: 'Підстава',
    violations: 'Порушення', none: 'немає', observations: 'Спостереження', log_index: 'індекс у журналі',
    proof: 'Журнал доказів', verifying: 'Перевірка доказу включення…',
    verified: 'Перевірено: {n} з {total} спостережень є в підписаному журналі (розмір контрольної точки {size}, ключ {key})',
    cosigned: 'співпідписали {names}', not_cosigned: 'жоден свідок ще не співпідписав цю контрольну точку',
    pending_leaves: '{n} новіші за контрольну точку: їх підтвердить наступна',
    not_verified: 'Не перевірено: {reason}', legend: 'Легенда', line: 'Лінія зіткнення', buffer: 'Буферна зона',
    disengagement: 'Ділянка розведення', withdrawal: 'Лінія відведення', area_of: 'Територія під контролем {party}',
    cluster: 'Скупчення', border: 'Міжнародний кордон (рез. ГА ООН 68/262)', oblast: 'Межа області',
    map_label: 'Карта інцидентів уздовж лінії зіткнення', layers: 'Шари',
    k_explosion: 'Вибух', k_projectile: 'Снаряд', k_muzzle_flash: 'Дульний спалах', k_illumination: 'Освітлювальна ракета',
    k_burst: 'Черга', k_shot: 'Постріл', k_weapon: 'Озброєння помічено', k_movement: 'Пересування', k_restriction: 'Обмеження руху',
    k_casualty: 'Жертва', k_damage: 'Пошкодження', k_mine: 'Міна', k_other: 'Інше',
    s_impact: 'влучання', s_airburst: 'повітряний розрив', s_outgoing: 'вихід', s_undetermined: 'невизначено',
    form_title: 'Нове спостереження', observer: 'Ідентифікатор спостерігача', source: 'Джерело', subtype: 'Тип вибуху',
    count_label: 'Кількість подій', bearing: 'Азимут на подію (градуси від істинної півночі)',
    bearing_sigma: 'Похибка азимута, 1 сигма (градуси)', distance_min: 'Відстань, не менше (м)', distance_max: 'Відстань, не більше (м)',
    notes: 'Примітки', position: 'Ваше місцезнаходження', lon: 'Довгота', lat: 'Широта', use_gps: 'Взяти місцезнаходження пристрою',
    time_observed: 'Час спостереження (UTC)', now: 'Зараз', save: 'Зберегти спостереження', queued: 'Очікують надсилання',
    sent: 'Надіслано', none_queued: 'Черга порожня.', send_now: 'Надіслати зараз', online: 'У мережі', offline_mode: 'Без зв’язку: спостереження зберігаються на пристрої',
    saved: 'Збережено на пристрої як {id}', delivered: 'Доставлено {n}', refused: 'Сервер відхилив: {msg}',
    key: 'Ключ підпису пристрою', key_none: 'Ключа немає: спостереження надсилаються без підпису.', key_make: 'Створити ключ підпису',
    key_have: 'Підписує як {name}. Зареєструйте цей ключ перевірки в місії: {vkey}', gps_failed: 'Пристрій не надав місцезнаходження: {msg}',
    required: 'Обов’язково', sel_none: '—', install_hint: 'Установіть цю сторінку як застосунок, щоб користуватися нею без зв’язку.',
    src_patrol: 'Патруль', src_post: 'Спостережний пост', src_camera: 'Камера', src_uav: 'БПЛА', src_acoustic: 'Акустичний датчик', src_radar: 'Радар',
  },
  ru: {
    in_window: 'в пределах местного режима тишины ({purpose}, {from}–{to} UTC)',
    field_map: 'Карта (работает офлайн)', field_map_label: 'Ваша позиция, линия соприкосновения, населённые пункты рядом и введённый азимут', use_compass: 'Взять азимут с компаса', pick_place: 'Коснитесь карты там, где это было (видели непосредственно)', picked_at: 'Выбранное место: {lon}, {lat}', no_compass: 'Это устройство не даёт курса компаса: введите азимут.', map_no_position: 'Позиции ещё нет',
    what_report: 'О чём вы сообщаете?', an_observation: 'Наблюдение (что было видно или слышно)', save_record: 'Сохранить запись', r_kind: 'Как ограничили миссию?', access: 'Доступ', present_serials: 'Серийные номера в наличии, по одному в строке', at_least_one: 'хотя бы один человек', c_denial: 'Отказ в проезде', c_delay: 'Задержка', c_conditional: 'Условный доступ', c_gnss_interference: 'Подавление GNSS', c_fire_at_uav: 'Обстрел БПЛА', c_granted: 'Предоставлен', c_partial: 'Частичный', c_denied: 'Отказано', c_reported: 'Сообщено', c_corroborated: 'Подтверждено другим источником', c_confirmed: 'Подтверждено миссией', c_shelling: 'Обстрел', c_small_arms: 'Стрелковое оружие', c_mine: 'Мина', c_uxo: 'Неразорвавшийся боеприпас', c_other: 'Другое', c_residential: 'Жильё', c_water: 'Водоснабжение', c_power: 'Электроснабжение', c_gas: 'Газоснабжение', c_school: 'Школа', c_medical: 'Медицинское учреждение', c_anti_personnel: 'Противопехотная мина', c_anti_tank: 'Противотанковая мина', c_unknown: 'Неизвестно',
    vessels: 'В море (AIS)', vessels_shown: 'Судов: {n}, в списке: {listed}; поведений обнаружено: {events}', mmsi: 'MMSI', flag: 'Флаг (по MMSI)', last_heard: 'Последний раз слышно', speed_kn: 'Скорость, уз.', listed: 'Санкционный список', other_vessel: 'С', until: 'По', ongoing: 'продолжается', ve_gap: 'Разрыв AIS (отключение)', ve_encounter: 'Встреча в море', ve_loitering: 'Дрейф', ve_spoofing: 'Ложные позиции', ve_identity_change: 'Смена идентичности', ve_port_call: 'Заход в порт', ve_listed: 'Судно в списке', records: 'Другие записи миссии', records_shown: 'Записей на карте: {n}', rt_site: 'Места хранения', rt_restriction: 'Ограничения передвижения', rt_casualty: 'Жертвы среди гражданских', rt_damage: 'Повреждения', rt_hazard: 'Мины и НВБ', rt_window: 'Режимы тишины', rt_inspection: 'Проверки', site_name: 'Место', party_of: 'Сторона', declared: 'Задекларировано единиц', last_inspected: 'Последняя проверка', never: 'никогда', missing: 'Отсутствовало при последней проверке', minutes: 'Потеряно минут', killed: 'Погибли', injured: 'Ранены', cause: 'Причина', record_status: 'Статус', object: 'Объект', hazard: 'Опасность', marked: 'Обозначено', purpose: 'Цель', window_hours: 'Часы', record_id: 'Запись',
    review: 'Рассмотрение', status_unreviewed: 'Аналитики ещё не рассмотрели.', status_confirmed: 'Подтверждено аналитиками.', status_rejected: 'Отклонено аналитиками как ложная тревога.', status_attributed: 'Приписано аналитиками.', decision_confirm: 'Подтвердить', decision_reject: 'Отклонить как ложную тревогу', decision_attribute: 'Приписать стороне', reply_of: 'Ответ: {party}', reply_until: '{party} может ответить официально до {time}.', field_text: 'Ответ', field_decision: 'Решение', field_party: 'Сторона', field_basis: 'Основание', reply_send: 'Ответить официально', decide: 'Записать решение', withheld: 'скрыто: {names}', redacted: 'Показано так, как видят вне миссии: без наблюдателей, места в центре клетки 0,01° (0,25°, где событие определяет лишь место наблюдателя).',
    signed_in_as: 'Вы вошли как {name}. Сохранённое отправляется от этой учётной записи.', sign_in_to_send: 'Войдите, чтобы отправить то, что ожидает: до тех пор оно хранится на устройстве.', key_registered: 'Зарегистрирован в миссии как ключ вашего устройства.',
    app: 'Truceline', dashboard: 'Панель', field_form: 'Полевая форма', language: 'Язык',
    signin_title: 'Войдите, чтобы видеть инциденты миссии', account: 'Учётная запись', password: 'Пароль', signin: 'Войти',
    signin_failed: 'Неверное имя или пароль.',
    illustrative: 'Иллюстративно: не официальная линия или соглашение',
    filters: 'Фильтры', from: 'С', to: 'По', kind: 'Тип', all_kinds: 'Все типы',
    party: 'Сторона атрибуции', any_party: 'Любая', attributed: 'Атрибуция', attr_any: 'С атрибуцией или без',
    attr_yes: 'С атрибуцией', attr_no: 'Без атрибуции', violations_only: 'Только нарушения',
    time: 'Показано до', play: 'Воспроизвести', pause: 'Пауза', reset: 'Сбросить фильтры',
    shown: { one: 'Показан {n} инцидент из {total}', few: 'Показано {n} инцидента из {total}', many: 'Показано {n} инцидентов из {total}', other: 'Показано {n} инцидента из {total}' }, live: 'В реальном времени', offline: 'Связь потеряна, повторная попытка', degraded: 'Сервер работает с нарушениями: показанное может быть неактуальным.', lagging: 'Полевые офисы отстают: в показанном нет того, что хранится у них.',
    loading: 'Загрузка…', report: 'Отчёт за день', report_title: 'Ежедневный отчёт за сутки миссии, к которым относится {date}',
    incidents: 'Инциденты', list_hint: 'Сначала новые; Enter открывает.', close: 'Закрыть',
    incident: 'Инцидент', gone: 'Этот инцидент с тех пор объединён с другим или отозван; карта обновлена.', when: 'Время', where: 'Место', ellipse: 'Эллипс ошибки 95 %',
    ellipse_v: '{major} × {minor} м, азимут {az}°',
    ellipse_none: 'нет: {basis}', basis_fix: 'определено засечкой', basis_direct: 'определено непосредственно',
    basis_wedge: 'один пеленг с диапазоном расстояния: где-то в этом секторе', basis_observer_only: 'не локализовано (один пеленг без расстояния или ни одного): показано место наблюдателя, а вне миссии лишь клетка 0,25°',
    basis_line: 'один пеленг без расстояния: где-то вдоль этой линии', count: 'Событий', weapon: 'Вооружение', control: 'Территорию контролирует',
    attribution: 'Атрибуция', unattributed: 'без атрибуции', confidence: 'уверенность', basis: 'Основание',
    violations: 'Нарушения', none: 'нет', observations: 'Наблюдения', log_index: 'индекс в журнале',
    proof: 'Журнал доказательств', verifying: 'Проверка доказательства включения…',
    verified: 'Проверено: {n} из {total} наблюдений есть в подписанном журнале (размер контрольной точки {size}, ключ {key})',
    cosigned: 'соподписали {names}', not_cosigned: 'ни один свидетель ещё не соподписал эту контрольную точку',
    pending_leaves: '{n} новее контрольной точки: их подтвердит следующая',
    not_verified: 'Не проверено: {reason}', legend: 'Легенда', line: 'Линия соприкосновения', buffer: 'Буферная зона',
    disengagement: 'Участок разведения', withdrawal: 'Линия отвода', area_of: 'Территория под контролем {party}',
    cluster: 'Скопление', border: 'Международная граница (рез. ГА ООН 68/262)', oblast: 'Граница области',
    map_label: 'Карта инцидентов вдоль линии соприкосновения', layers: 'Слои',
    k_explosion: 'Взрыв', k_projectile: 'Снаряд', k_muzzle_flash: 'Дульная вспышка', k_illumination: 'Осветительная ракета',
    k_burst: 'Очередь', k_shot: 'Выстрел', k_weapon: 'Замечено вооружение', k_movement: 'Передвижение', k_restriction: 'Ограничение передвижения',
    k_casualty: 'Пострадавший', k_damage: 'Повреждение', k_mine: 'Мина', k_other: 'Другое',
    s_impact: 'попадание', s_airburst: 'воздушный разрыв', s_outgoing: 'выход', s_undetermined: 'не определено',
    form_title: 'Новое наблюдение', observer: 'Идентификатор наблюдателя', source: 'Источник', subtype: 'Тип взрыва',
    count_label: 'Количество событий', bearing: 'Азимут на событие (градусы от истинного севера)',
    bearing_sigma: 'Ошибка азимута, 1 сигма (градусы)', distance_min: 'Расстояние, не менее (м)', distance_max: 'Расстояние, не более (м)',
    notes: 'Примечания', position: 'Ваше местоположение', lon: 'Долгота', lat: 'Широта', use_gps: 'Взять местоположение устройства',
    time_observed: 'Время наблюдения (UTC)', now: 'Сейчас', save: 'Сохранить наблюдение', queued: 'Ожидают отправки',
    sent: 'Отправлено', none_queued: 'Очередь пуста.', send_now: 'Отправить сейчас', online: 'В сети', offline_mode: 'Нет связи: наблюдения хранятся на устройстве',
    saved: 'Сохранено на устройстве как {id}', delivered: 'Доставлено {n}', refused: 'Сервер отклонил: {msg}',
    key: 'Ключ подписи устройства', key_none: 'Ключа нет: наблюдения отправляются без подписи.', key_make: 'Создать ключ подписи',
    key_have: 'Подписывает как {name}. Зарегистрируйте этот ключ проверки в миссии: {vkey}', gps_failed: 'Устройство не дало местоположение: {msg}',
    required: 'Обязательно', sel_none: '—', install_hint: 'Установите эту страницу как приложение, чтобы пользоваться ею без связи.',
    src_patrol: 'Патруль', src_post: 'Наблюдательный пост', src_camera: 'Камера', src_uav: 'БПЛА', src_acoustic: 'Акустический датчик', src_radar: 'Радар',
  },
};

let current = 'en';

/** The language in use: the one chosen before, else the browser's if we have it, else English. */
export function initLang() {
  const saved = localStorage.getItem('truceline.lang');
  const browser = (navigator.language || 'en').slice(0, 2);
  current = T[saved] ? saved : T[browser] ? browser : 'en';
  document.documentElement.lang = current;
  return current;
}

export function setLang(l) {
  if (!T[l]) return;
  current = l;
  localStorage.setItem('truceline.lang', l);
  document.documentElement.lang = l;
  apply();
}

export function lang() { return current; }

// Made once a language: an Intl formatter costs more to make than a list of 200 incidents does
// to fill.
const FORMATS = {};
function formats(l) {
  return (FORMATS[l] ??= { plural: new Intl.PluralRules(l), number: new Intl.NumberFormat(l) });
}

/**
 * Interface text `key` in the current language, with `{name}` filled from `vars`. Numbers are
 * written as the language writes them (Intl.NumberFormat), and a text with plural forms takes
 * the form the language's rules (Intl.PluralRules) give for `vars.n`.
 */
export function t(key, vars = {}) {
  let s = T[current][key] ?? T.en[key] ?? key;
  const { plural, number } = formats(current);
  if (typeof s === 'object') s = s[plural.select(Number(vars.n) || 0)] ?? s.other;
  if (!s.includes('{')) return s;
  return s.replace(/\{(\w+)\}/g, (_, k) => {
    const v = vars[k];
    if (v === undefined) return `{${k}}`;
    return typeof v === 'number' ? number.format(v) : v;
  });
}

/** Fills every element marked `data-i18n` (text) or `data-i18n-label` (aria-label). */
export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  document.dispatchEvent(new Event('languagechange-ui'));
}

/** A language picker bound to `select`. */
export function languagePicker(select) {
  select.replaceChildren(...Object.entries(LANGS).map(([k, name]) => {
    const o = document.createElement('option');
    o.value = k; o.textContent = name; o.lang = k;
    return o;
  }));
  select.value = current;
  select.addEventListener('change', () => setLang(select.value));
}

export const KEYS = Object.keys(T.en);
export const TABLES = T;
